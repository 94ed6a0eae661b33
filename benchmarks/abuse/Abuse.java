import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;

/**
 * Hostile HTTP clients against a running isc serve on loopback, all at once, while one well-behaved
 * client sends match requests one at a time (JDK only: run with `java Abuse.java`).
 *
 * <pre>java Abuse.java HOST PORT SERVER_PID BASELINE_S ABUSE_S AFTER_S PAUSE_MS BURST</pre>
 *
 * Phases: the well-behaved client alone (baseline), then together with the abuse (decompression
 * bombs, 64 sockets sending their headers one byte a second, a burst of BURST (500; 0: none)
 * concurrent match requests every 10 s, cross-site text/plain posts, a foreign Host, odd ids, a JSON array of 10^7
 * numbers; each kind one request at a time, PAUSE_MS between), then alone again (after). Every
 * request of the abuse is on its own connection; its time is from connect to the status line,
 * upload included; 503 (a full queue) is a right answer for the requests answered on a request
 * thread, since they wait in its queue. The well-behaved client waits 1 s after a 503 (Retry-After)
 * and counts it apart from its latencies. The server's resident memory is read from /proc/SERVER_PID/status every 100 ms.
 * One JSON line per kind of request, per phase of the well-behaved client, and for memory.
 */
public class Abuse {
  private static String host;
  private static int port;
  private static volatile String phase = "baseline";
  private static volatile boolean abusing;

  /** A status (-1: no answer), the time from before connecting to the status line, and the connect's part. */
  record Answer(int status, double ms, double connectMs) {}

  /** A kind of request: the statuses that are right for it, and what it got. */
  static final class Kind {
    final String name;
    final Set<Integer> expected;
    final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
    final List<Double> ms = Collections.synchronizedList(new ArrayList<>());
    final AtomicInteger connectsOver1s = new AtomicInteger();
    final Map<Integer, AtomicInteger> over1sByStatus = new ConcurrentHashMap<>();

    Kind(String name, Integer... expected) {
      this.name = name;
      this.expected = Set.of(expected);
    }

    Answer note(Answer a) {
      statuses.computeIfAbsent(a.status(), s -> new AtomicInteger()).incrementAndGet();
      ms.add(a.ms());
      if (a.connectMs() > 1000) {
        connectsOver1s.incrementAndGet();
      }
      if (a.ms() > 1000) {
        over1sByStatus.computeIfAbsent(a.status(), x -> new AtomicInteger()).incrementAndGet();
      }
      return a;
    }

    String json() {
      List<Double> sorted;
      synchronized (ms) {
        sorted = new ArrayList<>(ms);
      }
      Collections.sort(sorted);
      int wrong = 0;
      Map<String, Integer> counts = new TreeMap<>();
      for (Map.Entry<Integer, AtomicInteger> e : statuses.entrySet()) {
        counts.put(e.getKey() < 0 ? "dropped" : e.getKey().toString(), e.getValue().get());
        if (!expected.contains(e.getKey())) {
          wrong += e.getValue().get();
        }
      }
      long over1s = sorted.stream().filter(x -> x > 1000).count();
      StringBuilder s = new StringBuilder("{\"kind\":\"" + name + "\",\"requests\":" + sorted.size() + ",\"statuses\":{");
      counts.forEach((k, v) -> s.append('"').append(k).append("\":").append(v).append(','));
      if (!counts.isEmpty()) {
        s.setLength(s.length() - 1);
      }
      s.append("},\"expected\":").append(expected.stream().sorted().toList())
          .append(",\"wrongStatus\":").append(wrong).append(",\"over1s\":").append(over1s)
          .append(",\"connectsOver1s\":").append(connectsOver1s.get())
          .append(",\"over1sByStatus\":\"").append(new TreeMap<>(over1sByStatus)).append('"');
      s.append(String.format(Locale.ROOT, ",\"p50Ms\":%.1f,\"p99Ms\":%.1f,\"maxMs\":%.1f}", pct(sorted, 50),
          pct(sorted, 99), sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1)));
      return s.toString();
    }
  }

  static double pct(List<Double> sorted, double p) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  static double ms(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  /** One request on its own connection: its status (-1: the connection was dropped), and the time to it. */
  static Answer once(String method, String path, String hostHeader, byte[] body, String... headers) {
    long t0 = System.nanoTime();
    double connectMs = -1;
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 10_000);
      connectMs = ms(t0);
      s.setSoTimeout(60_000);
      s.setTcpNoDelay(true);
      StringBuilder h = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + hostHeader
          + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n");
      for (String x : headers) {
        h.append(x).append("\r\n");
      }
      OutputStream out = s.getOutputStream();
      out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      String line = line(s.getInputStream());
      return new Answer(Integer.parseInt(line.split(" ")[1]), ms(t0), connectMs);
    } catch (IOException | RuntimeException e) {
      return new Answer(-1, ms(t0), connectMs);
    }
  }

  static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    if (b.length() == 0) {
      throw new IOException("closed");
    }
    return b.toString();
  }

  /** The well-behaved client: match requests one at a time on a keep-alive connection; latencies by phase. */
  static final Map<String, List<Double>> good = new ConcurrentHashMap<>();
  static final AtomicInteger goodErrors = new AtomicInteger();
  static final Map<String, AtomicInteger> goodRefused = new ConcurrentHashMap<>();

  static void wellBehaved(byte[] jpeg, CountDownLatch done) {
    Socket s = null;
    byte[] head = ("POST /v1/match?k=10 HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nContent-Type: image/jpeg\r\n"
        + "Content-Length: " + jpeg.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] request = new byte[head.length + jpeg.length];
    System.arraycopy(head, 0, request, 0, head.length);
    System.arraycopy(jpeg, 0, request, head.length, jpeg.length);
    while (done.getCount() > 0) {
      String now = phase;
      long t0 = System.nanoTime();
      try {
        if (s == null) {
          s = new Socket();
          s.connect(new InetSocketAddress(host, port), 10_000);
          s.setSoTimeout(30_000);
          s.setTcpNoDelay(true);
        }
        s.getOutputStream().write(request);
        InputStream in = s.getInputStream();
        int status = Integer.parseInt(line(in).split(" ")[1]);
        int length = 0;
        boolean close = false;
        for (String h; !(h = line0(in)).isEmpty(); ) {
          String lower = h.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) {
            length = Integer.parseInt(h.substring(15).trim());
          } else if (lower.startsWith("connection:") && lower.contains("close")) {
            close = true;
          }
        }
        in.readNBytes(length);
        double took = ms(t0);
        if (close) {
          s.close();
          s = null;
        }
        if (status == 503) {  // as a well-behaved client does: waits Retry-After (1 s), then tries again
          goodRefused.computeIfAbsent(now, k -> new AtomicInteger()).incrementAndGet();
          Thread.sleep(1000);
          continue;
        }
        if (status != 200) {
          goodErrors.incrementAndGet();
        }
        good.computeIfAbsent(now, k -> Collections.synchronizedList(new ArrayList<>())).add(took);
      } catch (InterruptedException e) {
        return;
      } catch (IOException | RuntimeException e) {
        goodErrors.incrementAndGet();
        good.computeIfAbsent(now, k -> Collections.synchronizedList(new ArrayList<>())).add(ms(t0));
        try {
          if (s != null) {
            s.close();
          }
        } catch (IOException ignored) {
          // gone
        }
        s = null;
      }
    }
  }

  /** A header line, empty at the end of the headers. */
  static String line0(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  /** A socket sending the headers of a request one byte a second; how long until the server cut it off. */
  static final List<Double> slowCutOffS = Collections.synchronizedList(new ArrayList<>());
  static final AtomicInteger slowAnswered = new AtomicInteger();
  static final AtomicInteger slowStillOpen = new AtomicInteger();

  static void slow(long untilNanos) {
    long t0 = System.nanoTime();
    String headers = "GET /v1/info HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nX-Slow: " + "a".repeat(4000) + "\r\n\r\n";
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 10_000);
      s.setSoTimeout(1);
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      for (int i = 0; i < headers.length() && System.nanoTime() < untilNanos; i++) {
        out.write(headers.charAt(i));
        out.flush();
        try {
          int c = in.read();
          if (c < 0) {
            slowCutOffS.add(ms(t0) / 1000);
            return;
          }
          slowAnswered.incrementAndGet();
          slowCutOffS.add(ms(t0) / 1000);
          return;
        } catch (java.net.SocketTimeoutException e) {
          // nothing yet
        }
        Thread.sleep(1000);
      }
      slowStillOpen.incrementAndGet();
    } catch (IOException e) {
      slowCutOffS.add(ms(t0) / 1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void loop(long untilNanos, long pauseMs, Runnable request) {
    while (System.nanoTime() < untilNanos) {
      request.run();
      try {
        Thread.sleep(pauseMs);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  // Image bytes, written by hand: the headers are what the server checks.
  static byte[] be32(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] chunk(String type, byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(type.getBytes(StandardCharsets.ISO_8859_1));
    crc.update(data);
    return concat(be32(data.length), type.getBytes(StandardCharsets.ISO_8859_1), data, be32((int) crc.getValue()));
  }

  static byte[] deflate(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Deflater d = new Deflater(9);
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, d)) {
      z.write(raw);
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a byte array stream does not fail
    } finally {
      d.end();
    }
    return out.toByteArray();
  }

  /** A PNG declaring WIDTH x HEIGHT, with the first 16 rows of zeros compressed (a few KB). */
  static byte[] pngBomb(int width, int height) {
    byte[] ihdr = concat(be32(width), be32(height), new byte[] {8, 2, 0, 0, 0});
    return concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, chunk("IHDR", ihdr),
        chunk("IDAT", deflate(new byte[16 * (1 + width * 3)])), chunk("IEND", new byte[0]));
  }

  /** A TIFF of 16-bit RGBA samples, WIDTH x HEIGHT (8 bytes a pixel), one strip of zeros. */
  static byte[] tiff16(int width, int height) {
    int[][] entries = {{256, 3, 1, width}, {257, 3, 1, height}, {258, 3, 1, 16}, {259, 3, 1, 1}, {262, 3, 1, 2},
        {273, 4, 1, 200}, {277, 3, 1, 4}, {278, 3, 1, height}, {279, 4, 1, 1024}};
    ByteBuffer bb = ByteBuffer.allocate(200 + 1024).order(ByteOrder.LITTLE_ENDIAN);
    bb.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8).putShort((short) entries.length);
    for (int[] e : entries) {
      bb.putShort((short) e[0]).putShort((short) e[1]).putInt(e[2]);
      if (e[1] == 3) {
        bb.putShort((short) e[3]).putShort((short) 0);
      } else {
        bb.putInt(e[3]);
      }
    }
    bb.putInt(0);
    return bb.array();
  }

  static byte[] jpeg(long seed) throws IOException {
    Random r = new Random(seed);
    BufferedImage image = new BufferedImage(256, 256, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 256; y++) {
      for (int x = 0; x < 256; x++) {
        int v = (x * 3 + y * 5 + r.nextInt(40)) & 0xff;
        image.setRGB(x, y, v << 16 | ((x ^ y) & 0xff) << 8 | (255 - v));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "jpg", out);
    return out.toByteArray();
  }

  static long statusKb(long pid, String field) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith(field + ":")) {
          return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  static String descriptorArray(int n, Random r) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.5f", r.nextGaussian()));
    }
    return b.append(']').toString();
  }

  public static void main(String[] args) throws Exception {
    host = args[0];
    port = Integer.parseInt(args[1]);
    long pid = Long.parseLong(args[2]);
    long baselineS = Long.parseLong(args[3]);
    long abuseS = Long.parseLong(args[4]);
    long afterS = Long.parseLong(args[5]);
    long pauseMs = Long.parseLong(args[6]);
    int burstSize = Integer.parseInt(args[7]);
    String self = host + ":" + port;
    byte[] image = jpeg(7);
    Answer info = once("GET", "/v1/info", self, new byte[0]);
    if (info.status() != 200) {
      throw new IllegalStateException("GET /v1/info: " + info.status());
    }
    int dim = dimension();
    Random random = new Random(11);

    // Memory: sampled all along; the peak during the abuse and after it, against the end of the baseline.
    AtomicLong rssPeakAbuse = new AtomicLong();
    AtomicLong rssPeakAfter = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        long rss = statusKb(pid, "VmRSS");
        switch (phase) {
          case "baseline" -> { }
          case "abuse" -> rssPeakAbuse.accumulateAndGet(rss, Math::max);
          default -> rssPeakAfter.accumulateAndGet(rss, Math::max);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    sampler.setDaemon(true);
    sampler.start();
    long hwmBefore = statusKb(pid, "VmHWM");

    CountDownLatch done = new CountDownLatch(1);
    Thread client = new Thread(() -> wellBehaved(image, done));
    client.start();
    Thread.sleep(baselineS * 1000);
    long rssAtBaseline = statusKb(pid, "VmRSS");
    long hwmAtBaseline = statusKb(pid, "VmHWM");

    phase = "abuse";
    long until = System.nanoTime() + abuseS * 1_000_000_000L;
    List<Kind> kinds = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    Kind png = new Kind("PNG declaring 20000x20000", 400, 413, 503);
    Kind tiff = new Kind("TIFF 16-bit RGBA 8000x8000", 400, 413, 415, 503);
    Kind crossSite = new Kind("text/plain POST with a foreign Origin", 403);
    Kind plain = new Kind("text/plain POST to /v1/references", 415);
    Kind rebinding = new Kind("foreign Host (DNS rebinding)", 421);
    Kind surrogate = new Kind("id with an unpaired surrogate (path, %ED%A0%80)", 400, 503);
    Kind surrogateJson = new Kind("id with an unpaired surrogate (JSON escape of D800)", 400);
    Kind badEscape = new Kind("id with a bare %", 400);
    Kind plus = new Kind("id with + and %2B (accepted, then deleted)", 201, 200, 503);
    Kind huge = new Kind("JSON array of 10^7 numbers (20 MB)", 400);
    Kind burst = new Kind("burst of " + burstSize + " concurrent match requests every 10 s", 200, 503);
    kinds.addAll(List.of(png, tiff, crossSite, plain, rebinding, surrogate, surrogateJson, badEscape, plus, huge, burst));
    byte[] pngBomb = pngBomb(20000, 20000);
    byte[] tiffBomb = tiff16(8000, 8000);
    String right = descriptorArray(dim, random);
    byte[] batchBody = ("{\"references\":[{\"id\":\"x\\ud800\",\"descriptor\":" + right + "}]}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] descriptorBody = ("{\"descriptor\":" + right + "}").getBytes(StandardCharsets.UTF_8);
    byte[] hugeBody = ("{\"descriptor\":[" + "1,".repeat(9_999_999) + "1]}").getBytes(StandardCharsets.US_ASCII);
    String foreign = "http://evil.example";
    List<Runnable> loops = List.of(
        () -> png.note(once("POST", "/v1/match", self, pngBomb, "Content-Type: image/png")),
        () -> tiff.note(once("POST", "/v1/match", self, tiffBomb, "Content-Type: image/tiff")),
        () -> crossSite.note(once("POST", "/v1/references", self, descriptorBody, "Content-Type: text/plain",
            "Origin: " + foreign)),
        () -> plain.note(once("POST", "/v1/references", self, descriptorBody, "Content-Type: text/plain")),
        () -> rebinding.note(once("POST", "/v1/match", "evil.example:" + port, image, "Content-Type: image/jpeg")),
        () -> surrogate.note(once("PUT", "/v1/references/x%ED%A0%80", self, image, "Content-Type: image/jpeg")),
        () -> surrogateJson.note(once("POST", "/v1/references", self, batchBody, "Content-Type: application/json")),
        () -> badEscape.note(once("PUT", "/v1/references/50%", self, descriptorBody, "Content-Type: application/json")),
        () -> {
          plus.note(once("PUT", "/v1/references/a+b%2Bc", self, descriptorBody, "Content-Type: application/json"));
          plus.note(once("DELETE", "/v1/references/a+b%2Bc", self, new byte[0]));
        },
        () -> huge.note(once("PUT", "/v1/references/huge", self, hugeBody, "Content-Type: application/json")));
    for (Runnable r : loops) {
      threads.add(new Thread(() -> loop(until, pauseMs, r)));
    }
    for (int i = 0; i < 64; i++) {
      threads.add(new Thread(() -> slow(until)));
    }
    threads.add(new Thread(() -> {
      while (burstSize > 0 && System.nanoTime() < until) {
        List<Thread> burstThreads = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < burstSize; i++) {
          Thread t = new Thread(() -> {
            try {
              go.await();
            } catch (InterruptedException e) {
              return;
            }
            burst.note(once("POST", "/v1/match", self, image, "Content-Type: image/jpeg"));
          });
          t.start();
          burstThreads.add(t);
        }
        go.countDown();
        for (Thread t : burstThreads) {
          try {
            t.join();
          } catch (InterruptedException e) {
            return;
          }
        }
        try {
          Thread.sleep(10_000);
        } catch (InterruptedException e) {
          return;
        }
      }
    }));
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    phase = "after";
    Thread.sleep(afterS * 1000);
    done.countDown();
    client.join();
    sampler.interrupt();

    for (Kind k : kinds) {
      System.out.println(k.json());
    }
    List<Double> slowCut = new ArrayList<>(slowCutOffS);
    Collections.sort(slowCut);
    System.out.printf(Locale.ROOT, "{\"kind\":\"64 sockets sending headers at 1 byte/s\",\"cutOff\":%d,"
        + "\"cutOffAfterSMin\":%.1f,\"cutOffAfterSMax\":%.1f,\"answered\":%d,\"stillOpenAtEnd\":%d}%n", slowCut.size(),
        slowCut.isEmpty() ? 0 : slowCut.get(0), slowCut.isEmpty() ? 0 : slowCut.get(slowCut.size() - 1),
        slowAnswered.get(), slowStillOpen.get());
    for (String p : List.of("baseline", "abuse", "after")) {
      List<Double> l = new ArrayList<>(good.getOrDefault(p, List.of()));
      Collections.sort(l);
      System.out.printf(Locale.ROOT, "{\"wellBehaved\":\"%s\",\"answered\":%d,\"p50Ms\":%.1f,\"p90Ms\":%.1f,"
          + "\"p99Ms\":%.1f,\"maxMs\":%.1f,\"refused503\":%d}%n", p, l.size(), pct(l, 50), pct(l, 90), pct(l, 99),
          l.isEmpty() ? 0 : l.get(l.size() - 1), goodRefused.getOrDefault(p, new AtomicInteger()).get());
    }
    System.out.printf(Locale.ROOT, "{\"wellBehavedErrors\":%d}%n", goodErrors.get());
    long hwmEnd = statusKb(pid, "VmHWM");
    System.out.printf(Locale.ROOT, "{\"memory\":\"server VmRSS/VmHWM, MB\",\"rssAtBaselineEnd\":%.0f,"
        + "\"rssPeakDuringAbuse\":%.0f,\"rssPeakAfter\":%.0f,\"rssGrowthDuringAbuse\":%.0f,\"hwmBeforeRun\":%.0f,"
        + "\"hwmAtBaselineEnd\":%.0f,\"hwmAtEnd\":%.0f,\"hwmGrowth\":%.0f}%n", rssAtBaseline / 1024.0,
        rssPeakAbuse.get() / 1024.0, rssPeakAfter.get() / 1024.0, (rssPeakAbuse.get() - rssAtBaseline) / 1024.0,
        hwmBefore / 1024.0, hwmAtBaseline / 1024.0, hwmEnd / 1024.0, (hwmEnd - hwmAtBaseline) / 1024.0);
  }

  static int dimension() throws IOException {
    try (Socket s = new Socket(host, port)) {
      s.getOutputStream().write(("GET /v1/info HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return Integer.parseInt(all.replaceAll("(?s).*\"dimension\":([0-9]+).*", "$1"));
    }
  }
}
