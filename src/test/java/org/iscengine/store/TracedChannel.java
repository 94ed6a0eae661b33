package org.iscengine.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/**
 * A file channel that shows each write, sync and cut to a {@link Listener} before doing it: the
 * listener records the store's disk trace, or throws to fail that step as a full or broken disk
 * would. Reads pass straight through.
 */
final class TracedChannel extends FileChannel {
  /** Sees each change to the file before it is made; throwing fails it, with nothing written. */
  interface Listener {
    default void write(Path file, long position, ByteBuffer data) throws IOException {}

    default void force(Path file) throws IOException {}

    default void truncate(Path file, long size) throws IOException {}
  }

  private final Path file;
  private final FileChannel delegate;
  private final Listener listener;

  TracedChannel(Path file, FileChannel delegate, Listener listener) {
    this.file = file;
    this.delegate = delegate;
    this.listener = listener;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    listener.write(file, position, src.asReadOnlyBuffer());
    return delegate.write(src, position);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    listener.write(file, delegate.position(), src.asReadOnlyBuffer());
    return delegate.write(src);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long written = 0;
    for (int i = offset; i < offset + length; i++) {
      written += write(srcs[i]);
    }
    return written;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    listener.force(file);
    delegate.force(metaData);
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    listener.truncate(file, size);
    delegate.truncate(size);
    return this;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return delegate.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return delegate.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return delegate.read(dst, position);
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return delegate.transferTo(position, count, target);
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) {
    throw new UnsupportedOperationException("the store does not write by transfers");
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode != MapMode.READ_ONLY) {
      throw new UnsupportedOperationException("writes through a mapping would not be traced");
    }
    return delegate.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }

  @Override
  protected void implCloseChannel() throws IOException {
    delegate.close();
  }
}
