import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Mixed write load for `isc serve` that survives the server being killed, and the check of what the
 * server holds afterwards (JDK only: run with `java Soak.java`).
 *
 * <pre>
 * java Soak.java load URL TOKEN DIMENSION SECONDS LEDGER SEED   adds, bulk adds, removes, info; keeps a ledger
 * java Soak.java verify URL TOKEN LEDGER                        every acknowledged reference is there
 * </pre>
 *
 * The ledger has one line per change: "sent OP IDS" before the request, then "ack OP IDS" once the
 * server answered 2xx, or "lost OP IDS" when the connection broke (the server was killed): a lost
 * change may or may not have been applied. Every mode prints one JSON line.
 */
public final class Soak {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .version(HttpClient.Version.HTTP_1_1).build();

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "load" -> load(args[1], args[2], Integer.parseInt(args[3]), Long.parseLong(args[4]), Path.of(args[5]),
          Long.parseLong(args[6]));
      case "verify" -> verify(args[1], args[2], Path.of(args[3]));
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static HttpRequest.Builder request(String url, String token) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token);
  }

  private static String descriptor(Random random, int dim) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < dim; i++) {
      b.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.6f", random.nextGaussian()));
    }
    return b.append(']').toString();
  }

  private static void load(String base, String token, int dim, long seconds, Path ledgerFile, long seed)
      throws Exception {
    Random random = new Random(seed);
    List<String> live = new ArrayList<>();
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    int next = 0;
    int acked = 0;
    int lost = 0;
    int refused = 0;
    try (PrintWriter ledger = new PrintWriter(Files.newBufferedWriter(ledgerFile, StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
      while (System.nanoTime() < deadline) {
        double roll = random.nextDouble();
        String op;
        List<String> ids = new ArrayList<>();
        HttpRequest req;
        if (roll < 0.15 && !live.isEmpty()) {
          op = "remove";
          ids.add(live.get(random.nextInt(live.size())));
          req = request(base + "/v1/references/" + URLEncoder.encode(ids.get(0), StandardCharsets.UTF_8), token)
              .DELETE().build();
        } else if (roll < 0.25) {
          op = "add";
          StringBuilder body = new StringBuilder("{\"references\":[");
          for (int i = 0; i < 20; i++) {
            String id = "soak-" + seed + "-" + next++;
            ids.add(id);
            body.append(i == 0 ? "" : ",").append("{\"id\":\"").append(id).append("\",\"descriptor\":")
                .append(descriptor(random, dim)).append('}');
          }
          req = request(base + "/v1/references", token).header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body.append("]}").toString())).build();
        } else if (roll < 0.35) {
          try {
            references(base, token);
          } catch (IOException e) {
            waitReady(base, deadline);
          }
          continue;
        } else {
          op = "add";
          String id = "soak-" + seed + "-" + next++;
          ids.add(id);
          req = request(base + "/v1/references/" + id, token).header("Content-Type", "application/json")
              .PUT(HttpRequest.BodyPublishers.ofString("{\"descriptor\":" + descriptor(random, dim) + "}")).build();
        }
        String entry = op + " " + String.join(" ", ids);
        ledger.println("sent " + entry);
        try {
          HttpResponse<String> r = CLIENT.send(req, HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() / 100 == 2) {
            ledger.println("ack " + entry);
            acked++;
            if (op.equals("add")) {
              live.addAll(ids);
            } else {
              live.removeAll(ids);
            }
          } else if (r.statusCode() == 503) {
            ledger.println("refused " + entry);  // not ready yet, or overloaded: nothing was changed
            refused++;
            Thread.sleep(100);
          } else {
            throw new IllegalStateException(entry + ": HTTP " + r.statusCode() + " " + r.body());
          }
        } catch (IOException e) {
          // The server went away mid-request: the change may or may not be there. Wait for it.
          ledger.println("lost " + entry);
          lost++;
          live.removeAll(ids);  // never touched again: whether it is there stays open
          waitReady(base, deadline);
        }
      }
    }
    System.out.printf(Locale.ROOT, "{\"mode\":\"load\",\"acknowledged\":%d,\"lost\":%d,\"refused\":%d}%n", acked,
        lost, refused);
  }

  private static void waitReady(String base, long deadline) throws InterruptedException {
    while (System.nanoTime() < deadline) {
      try {
        if (CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(100);
    }
  }

  /** What the ledger says is held for sure, and what may be held (changes lost in flight). */
  private record Expected(Set<String> held, Set<String> uncertain) {}

  private static Expected expected(Path ledgerFile) throws IOException {
    Set<String> held = new LinkedHashSet<>();
    Set<String> uncertain = new LinkedHashSet<>();
    for (String line : Files.readAllLines(ledgerFile, StandardCharsets.UTF_8)) {
      String[] f = line.split(" ");
      if (f[0].equals("sent") || f[0].equals("refused")) {
        continue;
      }
      for (int i = 2; i < f.length; i++) {
        if (f[0].equals("lost")) {
          held.remove(f[i]);
          uncertain.add(f[i]);
        } else {
          uncertain.remove(f[i]);
          if (f[1].equals("add")) {
            held.add(f[i]);
          } else {
            held.remove(f[i]);
          }
        }
      }
    }
    return new Expected(held, uncertain);
  }

  private static long references(String base, String token) throws Exception {
    HttpResponse<String> r = CLIENT.send(request(base + "/v1/info", token).build(),
        HttpResponse.BodyHandlers.ofString());
    return Long.parseLong(r.body().replaceAll("(?s).*\"references\":(\\d+).*", "$1"));
  }

  /** Removes every reference the ledger says is held: each must answer 200 (a 404 is a lost reference). */
  private static void verify(String base, String token, Path ledgerFile) throws Exception {
    Expected e = expected(ledgerFile);
    long before = references(base, token);
    List<String> missing = new ArrayList<>();
    for (String id : e.held()) {
      HttpResponse<String> r = CLIENT.send(request(base + "/v1/references/"
          + URLEncoder.encode(id, StandardCharsets.UTF_8), token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        missing.add(id + " (HTTP " + r.statusCode() + ")");
      }
    }
    long extra = references(base, token);  // only changes lost in flight may remain
    boolean ok = missing.isEmpty() && extra <= e.uncertain().size();
    System.out.printf(Locale.ROOT,
        "{\"mode\":\"verify\",\"references\":%d,\"held\":%d,\"missing\":%d,\"uncertain\":%d,\"leftOver\":%d,\"ok\":%b}%n",
        before, e.held().size(), missing.size(), e.uncertain().size(), extra, ok);
    if (!ok) {
      System.err.println("missing: " + missing.subList(0, Math.min(10, missing.size())));
      System.exit(1);
    }
  }
}
