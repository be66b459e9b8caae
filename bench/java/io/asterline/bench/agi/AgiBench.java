package io.asterline.bench.agi;

import static io.asterline.db.generated.Tables.DID;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.agi.AgiConfig;
import io.asterline.agi.AgiService;
import io.asterline.agi.AgiVariables;
import io.asterline.agi.FakeAsterisk;
import io.asterline.call.CallEvents;
import io.asterline.config.Settings;
import io.asterline.db.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.asteriskjava.fastagi.AgiChannel;
import org.asteriskjava.fastagi.AgiRequest;
import org.asteriskjava.fastagi.AgiScript;
import org.asteriskjava.fastagi.DefaultAgiServer;

/**
 * Load generator speaking FastAGI exactly as Asterisk does (a new TCP connection per request, the agi_*
 * environment, a reply per command), N simulated calls at once, each one looping inbound then call-end.
 * The same load runs against asterisk-java's stock DefaultAgiServer with a script that does nothing: the
 * library's floor. Prints requests/s and per-request latency percentiles for both.
 */
public final class AgiBench {

  /** One target: where to connect and what a simulated call sends. */
  private record Target(String name, int port, boolean realCalls) {}

  private record Result(String name, long requests, double seconds, long[] latenciesNanos, Map<String, Long> statuses,
      long errors, long[] inboundNanos, long[] callEndNanos) {
    double perSecond() {
      return requests / seconds;
    }

    double percentileMillis(double p) {
      return percentile(latenciesNanos, p);
    }
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }

  public static void main(String[] args) throws Exception {
    int concurrency = intOption(args, "--concurrency", 200);
    int seconds = intOption(args, "--seconds", 15);
    int warmup = intOption(args, "--warmup", 5);
    int holdMs = intOption(args, "--hold-ms", 1000);

    System.out.printf("FastAGI benchmark: %d concurrent simulated calls (inbound + call-end each), %d s measured "
        + "after %d s warm-up, %d cores%n", concurrency, seconds, warmup, Runtime.getRuntime().availableProcessors());

    TestDatabase.Db db = TestDatabase.fresh(20);
    long tenant = db.dsl().insertInto(TENANT).set(TENANT.NAME, "bench").set(TENANT.MAX_CONCURRENT_CALLS, 1_000_000)
        .returning(TENANT.ID).fetchOne(TENANT.ID);
    db.dsl().insertInto(DID).set(DID.TENANT_ID, tenant).set(DID.NUMBER, "+15551234567").set(DID.TRUNK, "TWILIO")
        .execute();
    AgiConfig config = AgiConfig.from(Settings.of(Map.of(), Map.of(),
        Map.of("agi.port", "0", "agi.audiosocket-address", "127.0.0.1:9092", "admission.max-calls", "1000000", "agi.pool-size", "500",
            "agi.db-batch-linger", stringOption(args, "--db-batch-linger", "2ms"))));
    AgiService asterline = AgiService.start(config, new io.asterline.admission.Admission(db.dsl(),
        new io.asterline.admission.AdmissionConfig(1_000_000, java.time.Duration.ofHours(4))), Files.createTempDirectory("bench-recordings"), db.dsl(), 16,
        CallEvents.NONE, new SimpleMeterRegistry(), Map.of(),
        io.asterline.degraded.DegradedMode.open(Files.createTempDirectory("bench-data"), config.journalMaxBytes(),
            io.asterline.config.Json.mapper()));

    AgiScript noop = (AgiRequest request, AgiChannel channel) -> { };
    DefaultAgiServer floorServer = new DefaultAgiServer(noop);
    int floorPort = freePort();
    floorServer.setAddress(InetAddress.getByName("127.0.0.1"));
    floorServer.setPort(floorPort);
    floorServer.setMaximumPoolSize(500);
    Thread floorThread = new Thread(() -> {
      try {
        floorServer.startup();
      } catch (Exception e) {
        e.printStackTrace();
      }
    }, "bench-floor-accept");
    floorThread.setDaemon(true);
    floorThread.start();
    awaitListening(floorPort);

    String only = stringOption(args, "--only", "all");
    if (only.equals("asterline")) {
      // for profiling: just Asterline under saturation, no floor
      report(List.of(run(new Target("asterline inbound + call-end", asterline.port(), true), concurrency, warmup,
          seconds, 0)), true);
      asterline.close();
      System.exit(0);
    }
    if (only.equals("floor")) {
      // for profiling: just the no-op script under saturation
      report(List.of(run(new Target("asterisk-java no-op script (floor)", floorPort, false), concurrency, warmup,
          seconds, 0)), true);
      System.exit(0);
    }
    System.out.println();
    System.out.printf("1. saturation: each of the %d simulated calls sends its next request as soon as the last one "
        + "is answered (%d requests always in flight)%n", concurrency, concurrency);
    report(List.of(
        run(new Target("asterisk-java no-op script (floor)", floorPort, false), concurrency, warmup, seconds, 0),
        run(new Target("asterline inbound + call-end", asterline.port(), true), concurrency, warmup, seconds, 0)), true);

    System.out.println();
    System.out.printf("2. %d calls in progress, arriving steadily: each simulated call holds %d ms between inbound "
        + "and call-end, and the calls' starts are spread evenly over that time (a new call every %.1f ms), as a "
        + "busy trunk delivers them%n", concurrency, holdMs, (double) holdMs / concurrency);
    report(List.of(
        run(new Target("asterisk-java no-op script (floor)", floorPort, false), concurrency, warmup, seconds, holdMs, true),
        run(new Target("asterline inbound + call-end", asterline.port(), true), concurrency, warmup, seconds, holdMs, true)),
        false);

    System.out.println();
    System.out.printf("3. %d calls in progress, all in step: every call starts at the same instant and holds %d ms, "
        + "so %d requests arrive together each time (the worst case; no trunk delivers calls this way)%n",
        concurrency, holdMs, concurrency);
    report(List.of(
        run(new Target("asterisk-java no-op script (floor)", floorPort, false), concurrency, warmup, seconds, holdMs, false),
        run(new Target("asterline inbound + call-end", asterline.port(), true), concurrency, warmup, seconds, holdMs, false)),
        false);

    asterline.close();
    floorServer.shutdown();
    db.close();
    System.exit(0);
  }

  private static void report(List<Result> results, boolean saturated) {
    System.out.printf("%-36s %10s %10s %10s %10s %10s%n", "target", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms");
    for (Result r : results) {
      System.out.printf("%-36s %10.0f %10.2f %10.2f %10.2f %10.2f%n", r.name(), r.perSecond(), r.percentileMillis(50),
          r.percentileMillis(90), r.percentileMillis(99), r.percentileMillis(100));
    }
    for (Result r : results) {
      String who = r.name().split(" ")[0];
      System.out.printf("  %-34s %10s %10.2f %10.2f %10.2f %10.2f%n", who + ": inbound only", "", percentile(r.inboundNanos(), 50),
          percentile(r.inboundNanos(), 90), percentile(r.inboundNanos(), 99), percentile(r.inboundNanos(), 100));
      System.out.printf("  %-34s %10s %10.2f %10.2f %10.2f %10.2f%n", who + ": call-end only", "", percentile(r.callEndNanos(), 50),
          percentile(r.callEndNanos(), 90), percentile(r.callEndNanos(), 99), percentile(r.callEndNanos(), 100));
    }
    for (Result r : results) {
      System.out.printf("%s: %d requests, statuses %s, errors %d%n", r.name(), r.requests(), r.statuses(), r.errors());
    }
    if (results.size() < 2) {
      return;
    }
    Result floor = results.get(0);
    Result ours = results.get(1);
    if (!saturated) {
      System.out.printf("asterline p99 %.2f ms (target < 10 ms); the rate is set by the hold time, not the server%n",
          ours.percentileMillis(99));
      return;
    }
    System.out.printf("asterline throughput = %.0f%% of the floor; p99 %.2f ms (target: >= 50%% and < 10 ms)%n",
        100.0 * ours.perSecond() / floor.perSecond(), ours.percentileMillis(99));
  }

  private static Result run(Target target, int concurrency, int warmupSeconds, int seconds, int holdMs)
      throws Exception {
    return run(target, concurrency, warmupSeconds, seconds, holdMs, false);
  }

  /** With {@code spread}, simulated call w starts w * hold / concurrency ms late, so calls arrive evenly. */
  private static Result run(Target target, int concurrency, int warmupSeconds, int seconds, int holdMs,
      boolean spread) throws Exception {
    System.out.printf("   running %s ...%n", target.name());
    FakeAsterisk asterisk = new FakeAsterisk(target.port());
    long start = System.nanoTime();
    long measureFrom = start + warmupSeconds * 1_000_000_000L;
    long measureTo = measureFrom + seconds * 1_000_000_000L;
    Map<String, Long> statuses = new ConcurrentHashMap<>();
    AtomicLong errors = new AtomicLong();
    List<long[]> perWorker = new ArrayList<>();
    List<long[]> perWorkerStep = new ArrayList<>();
    int[] counts = new int[concurrency];
    CountDownLatch done = new CountDownLatch(concurrency);
    for (int w = 0; w < concurrency; w++) {
      long[] buffer = new long[1 << 16];
      perWorker.add(buffer);
      perWorkerStep.add(new long[1 << 16]);
      int worker = w;
      Thread t = new Thread(() -> {
        if (spread && holdMs > 0) {
          try {
            Thread.sleep((long) worker * holdMs / concurrency);
          } catch (InterruptedException e) {
            return;
          }
        }
        long[] lat = buffer;
        int n = 0;
        String lastCallId = null;
        try {
          while (System.nanoTime() < measureTo) {
            for (int step = 0; step < 2; step++) {
              FakeAsterisk.Request request;
              if (step == 0) {
                request = FakeAsterisk.request("inbound").args("+15551234567");
              } else {
                String callId = lastCallId;
                request = FakeAsterisk.request("call-end")
                    .args(callId == null ? "00000000-0000-0000-0000-000000000000" : callId, "ANSWER", "16",
                        "/var/spool/asterisk/recordings/x.wav");
              }
              long t0 = System.nanoTime();
              FakeAsterisk.Exchange x;
              try {
                x = asterisk.send(request);
              } catch (Exception e) {
                errors.incrementAndGet();
                continue;
              }
              long t1 = System.nanoTime();
              if (step == 0) {
                lastCallId = x.get(AgiVariables.CALL_ID);
                if (holdMs > 0) {
                  try {
                    Thread.sleep(holdMs);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              }
              if (t0 >= measureFrom && t1 <= measureTo) {
                if (n == lat.length) {
                  lat = Arrays.copyOf(lat, lat.length * 2);
                  perWorker.set(worker, lat);
                  perWorkerStep.set(worker, Arrays.copyOf(perWorkerStep.get(worker), lat.length));
                }
                perWorkerStep.get(worker)[n] = step;
                lat[n++] = t1 - t0;
                String status = target.realCalls() ? (step == 0 ? "inbound " : "call-end ")
                    + x.get(AgiVariables.STATUS) : "no-op";
                statuses.merge(status, 1L, Long::sum);
              }
            }
          }
        } finally {
          counts[worker] = n;
          done.countDown();
        }
      }, "bench-caller-" + w);
      t.setDaemon(true);
      t.start();
    }
    done.await();
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    long[] inbound = new long[total];
    long[] callEnd = new long[total];
    int at = 0;
    int in = 0;
    int end = 0;
    for (int w = 0; w < concurrency; w++) {
      long[] lat = perWorker.get(w);
      long[] steps = perWorkerStep.get(w);
      for (int i = 0; i < counts[w]; i++) {
        all[at++] = lat[i];
        if (steps[i] == 0) {
          inbound[in++] = lat[i];
        } else {
          callEnd[end++] = lat[i];
        }
      }
    }
    Arrays.sort(all);
    inbound = Arrays.copyOf(inbound, in);
    callEnd = Arrays.copyOf(callEnd, end);
    Arrays.sort(inbound);
    Arrays.sort(callEnd);
    return new Result(target.name(), total, seconds, all, new TreeMap<>(statuses), errors.get(), inbound, callEnd);
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static void awaitListening(int port) throws Exception {
    for (int i = 0; i < 100; i++) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException e) {
        Thread.sleep(50);
      }
    }
    throw new IllegalStateException("floor server did not start on port " + port);
  }

  private static String stringOption(String[] args, String name, String fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return args[i + 1];
      }
    }
    return fallback;
  }

  private static int intOption(String[] args, String name, int fallback) {
    for (int i = 0; i < args.length - 1; i++) {
      if (args[i].equals(name)) {
        return Integer.parseInt(args[i + 1]);
      }
    }
    return fallback;
  }
}
