package io.asterline.bench.audiosocket;

import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.audiosocket.AsteriskAudioSocketClient;
import io.asterline.audiosocket.AudioSocketFrame;
import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How many concurrent calls one node carries with clean output audio. Steps up the number of calls; at each
 * step measures, at the Asterisk-like clients, the jitter of the server's 20 ms frames and the frames missing,
 * the barge-in stop latency (peer's speech_started to the first silent frame), and in the server's JVM the heap
 * and CPU per call. The largest step with jitter p99 under 5 ms and no dropped frame is the answer.
 */
public final class AudioSocketBench {

  /** Histogram in 0.1 ms buckets up to 1 s, lock-free: thousands of calls record into it. */
  static final class Histogram {
    private final AtomicLongArray buckets = new AtomicLongArray(10_001);

    void record(long nanos) {
      int b = (int) Math.min(10_000, Math.max(0, nanos / 100_000));
      buckets.incrementAndGet(b);
    }

    long count() {
      long n = 0;
      for (int i = 0; i < buckets.length(); i++) {
        n += buckets.get(i);
      }
      return n;
    }

    double percentileMs(double p) {
      long total = count();
      if (total == 0) {
        return Double.NaN;
      }
      long rank = (long) Math.ceil(p * total);
      long seen = 0;
      for (int i = 0; i < buckets.length(); i++) {
        seen += buckets.get(i);
        if (seen >= rank) {
          return (i + 1) / 10.0;
        }
      }
      return 1000;
    }

    void reset() {
      for (int i = 0; i < buckets.length(); i++) {
        buckets.set(i, 0);
      }
    }
  }

  private static final java.util.concurrent.atomic.AtomicInteger FAILURES = new java.util.concurrent.atomic.AtomicInteger();

  /** One call as the client side sees it. Touched by one client event loop, plus the peer's barge-in stamp. */
  static final class CallState implements AsteriskAudioSocketClient.Listener {
    final Histogram jitter;
    final Histogram bargeIn;
    long last;
    volatile long frames;
    volatile long bargeInAt;
    volatile boolean hungUp;
    volatile boolean closed;

    CallState(Histogram jitter, Histogram bargeIn) {
      this.jitter = jitter;
      this.bargeIn = bargeIn;
    }

    void bargeInSent(long nanos) {
      bargeInAt = nanos;
    }

    @Override
    public void frame(AudioSocketFrame f, long nanos) {
      if (f.kind() != AudioSocketFrame.Kind.AUDIO) {
        hungUp = true;
        return;
      }
      if (last != 0) {
        jitter.record(Math.abs(nanos - last - 20_000_000L));
      }
      last = nanos;
      frames++;
      long b = bargeInAt;
      if (b != 0 && nanos > b && silent(f.payload())) {
        bargeIn.record(nanos - b);
        bargeInAt = 0;
      }
    }

    @Override
    public void closed(long nanos) {
      closed = true;
    }

    @Override
    public void failed(Throwable cause) {
      if (FAILURES.incrementAndGet() <= 3) {
        System.out.println("client connection failed: " + cause);
      }
    }

    private static boolean silent(ByteBuf p) {
      for (int i = p.readerIndex(); i < p.writerIndex(); i++) {
        if (p.getByte(i) != 0) {
          return false;
        }
      }
      return true;
    }
  }

  public static void main(String[] args) throws Exception {
    // as in the node: leak tracking draws a random number per buffer allocated, and it is the node that is measured
    io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    int[] steps = parseSteps(args.length > 0 ? args[0] : "100,250,500,750,1000");
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int max = steps[steps.length - 1];
    // the node on its own core(s), everything else (clients, Realtime peer, PostgreSQL, this JVM) on the others:
    // the node's figures then no longer depend on the load generator sharing its cores
    int machineCores = Runtime.getRuntime().availableProcessors();
    String nodeCpus = System.getenv().getOrDefault("BENCH_NODE_CPUS", "0");
    String loadCpus = System.getenv().getOrDefault("BENCH_LOAD_CPUS", "1");
    boolean pinned = !nodeCpus.isBlank() && !loadCpus.isBlank() && pin(loadCpus);
    int nodeCores = pinned ? cpuCount(nodeCpus) : Runtime.getRuntime().availableProcessors();

    TestDatabase.Db db = TestDatabase.fresh(4);
    List<UUID> callIds = new ArrayList<>();
    db.dsl().transaction(tx -> {
      for (int i = 0; i < max; i++) {
        TenantRecord t = tx.dsl().newRecord(TENANT);
        t.setName("bench-" + i);
        t.setAiInstructions("bench call " + i + " ");
        t.setSilenceTimeoutMs(3_600_000);
        t.store();
        CallRecord c = tx.dsl().newRecord(CALL);
        c.setId(UUID.randomUUID());
        c.setTenantId(t.getId());
        c.setDirection("inbound");
        c.setState("answered");
        c.store();
        callIds.add(c.getId());
      }
    });

    Histogram jitter = new Histogram();
    Histogram bargeIn = new Histogram();
    CallState[] states = new CallState[max];
    BenchPeer peer = new BenchPeer(i -> {
      CallState s = i < states.length ? states[i] : null;
      return s == null ? null : s::bargeInSent;
    });

    List<String> command = new ArrayList<>();
    if (pinned) {
      command.addAll(List.of("taskset", "-c", nodeCpus));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms512m", "-Xmx2g", "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled",
        "-Dlogback.configurationFile=bench/audiosocket/logback.xml"));
    String extra = System.getenv("BENCH_NODE_JVM_OPTS");
    if (extra != null && !extra.isBlank()) {
      command.addAll(List.of(extra.trim().split("\\s+")));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), TalkNode.class.getName(),
        db.jdbcUrl(), "ws://127.0.0.1:" + peer.port() + "/v1/realtime"));
    Process node = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader nodeOut = new BufferedReader(new InputStreamReader(node.getInputStream()));
    PrintWriter nodeIn = new PrintWriter(node.getOutputStream(), true);
    String portLine = nodeOut.readLine();
    while (portLine != null && !portLine.startsWith("PORT ")) {
      System.out.println("node: " + portLine);
      portLine = nodeOut.readLine();
    }
    if (portLine == null || !portLine.startsWith("PORT ")) {
      throw new IllegalStateException("the node did not start: " + portLine);
    }
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(portLine.substring(5)));
    EventLoopGroup asterisk = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-asterisk"),
        NioIoHandler.newFactory());

    System.out.printf("AudioSocket bench: %d cores, steps %s, %d s measured per step; %s%n",
        machineCores, args.length > 0 ? args[0] : "100,250,500,750,1000", seconds,
        pinned ? "node pinned to CPU " + nodeCpus + " (" + nodeCores + " core" + (nodeCores == 1 ? "" : "s")
            + "), clients, Realtime peer and PostgreSQL to CPU " + loadCpus
            : "not pinned (the node shares its cores with the load generator)");
    long[] base = stats(nodeIn, nodeOut);
    System.out.printf("idle node: heap %.1f MB after GC, %d threads%n", base[0] / 1e6, base[2]);
    System.out.println("calls | jitter p50 / p99 / max ms | dropped frames | barge-in stop p50 / p99 ms (server p99) | heap/call KB (marginal) | CPU/call % core | calls per core of node CPU | node threads | server ticks >5 ms late / skipped | machine load (1 min)");

    List<AsteriskAudioSocketClient> clients = new ArrayList<>();
    int best = 0;
    boolean missed = false;
    int prevStep = 0;
    long prevHeap = 0;
    String bestLine = "none";
    double bestPerCore = 0;
    for (int step : steps) {
      while (clients.size() < step) {
        int i = clients.size();
        states[i] = new CallState(jitter, bargeIn);
        clients.add(AsteriskAudioSocketClient.connect(asterisk, server, callIds.get(i), AsteriskAudioSocketClient.SILENCE, states[i]));
        // about 50 new calls a second: a ramp, not a thundering herd of WebSocket handshakes
        if (i % 5 == 4) {
          Thread.sleep(100);
        }
      }
      Thread.sleep(5000);
      long[] before = stats(nodeIn, nodeOut);
      // the node's forced GC for the heap figure is not part of the measured window
      Thread.sleep(500);
      jitter.reset();
      bargeIn.reset();
      long[] framesBefore = new long[step];
      for (int i = 0; i < step; i++) {
        framesBefore[i] = states[i].frames;
      }
      long t0 = System.nanoTime();
      long cpu0 = cpuOf(nodeIn, nodeOut);
      Thread.sleep(seconds * 1000L);
      long elapsed = System.nanoTime() - t0;
      // the window ends here, for the clients too: stats() below forces two full collections in the node, and
      // frames counted or jitter recorded after this point would hide missing frames and add that stall
      long[] framesAfter = new long[step];
      for (int i = 0; i < step; i++) {
        framesAfter[i] = states[i].frames;
      }
      double p50 = jitter.percentileMs(0.5);
      double p99 = jitter.percentileMs(0.99);
      double maxJitter = jitter.percentileMs(1.0);
      double bargeIn50 = bargeIn.percentileMs(0.5);
      double bargeIn99 = bargeIn.percentileMs(0.99);
      long cpu = cpuOf(nodeIn, nodeOut) - cpu0;
      long[] after = stats(nodeIn, nodeOut);
      long dropped = 0;
      long expected = elapsed / 20_000_000L;
      int hungUp = 0;
      int callsDropping = 0;
      int closedWithoutHangup = 0;
      long maxMissing = 0;
      for (int i = 0; i < step; i++) {
        if (states[i].closed && !states[i].hungUp) {
          closedWithoutHangup++;
        }
        if (states[i].hungUp) {
          // ended by the node (its fallback, e.g. a Realtime connect slower than 2 s): counted apart
          hungUp++;
          continue;
        }
        long got = framesAfter[i] - framesBefore[i];
        // one frame of slack at each end of the window
        long missing = Math.max(0, expected - got - 2);
        dropped += missing;
        if (missing > 0) {
          callsDropping++;
          maxMissing = Math.max(maxMissing, missing);
        }
      }
      double heapPerCall = (after[0] - base[0]) / 1024.0 / step;
      // the first calls also pay one-time costs (caches, pools, JIT): the step-to-step difference shows the call itself
      double marginal = prevStep == 0 ? heapPerCall : (after[0] - prevHeap) / 1024.0 / (step - prevStep);
      prevStep = step;
      prevHeap = after[0];
      double cpuPerCall = 100.0 * cpu / elapsed / step;
      double nodeCoresUsed = (double) cpu / elapsed;
      long ticks = step * expected;
      double latePct = 100.0 * (after[6] - before[6]) / Math.max(1, ticks);
      double skippedPct = 100.0 * (after[4] - before[4]) / Math.max(1, ticks);
      String line = String.format("%5d | %5.1f / %5.1f / %6.1f | %s%s | %5.1f / %5.1f (%.1f) | %6.1f (%6.1f) | %5.3f | %.0f (node at %.2f of %d core%s) | %d | %.2f%% / %.2f%%",
          step, p50, p99, maxJitter,
          dropped == 0 ? "0" : dropped + " in " + callsDropping + " calls (max " + maxMissing + ")",
          (hungUp > 0 ? " (" + hungUp + " calls ended by the node's fallback)" : "")
              + (closedWithoutHangup > 0 ? " (" + closedWithoutHangup + " closed without 0x00!)" : ""), bargeIn50, bargeIn99,
          after[5] / 1000.0, heapPerCall, marginal, cpuPerCall, step / Math.max(1e-9, nodeCoresUsed), nodeCoresUsed,
          nodeCores, nodeCores == 1 ? "" : "s", after[2], latePct, skippedPct);
      System.out.println(line + " | load " + loadAverage());
      boolean ok = p99 < 5.0 && dropped == 0 && hungUp == 0;
      if (ok && !missed) {
        best = step;
        bestLine = line;
        bestPerCore = step / Math.max(1e-9, nodeCoresUsed);
      } else {
        missed = true;
        System.out.println("      step misses the target: " + (p99 >= 5.0 ? "jitter p99 >= 5 ms; " : "")
            + (dropped > 0 ? "frames dropped; " : "") + (hungUp > 0 ? "calls ended by fallback" : ""));
      }
    }
    System.out.println("largest N with jitter p99 < 5 ms and no dropped frame: " + best + "  [" + bestLine + "]");
    System.out.printf("calls per core of node CPU at that N: %.0f%s%n", bestPerCore, pinned
        ? " (the node alone on CPU " + nodeCpus + "; N is bounded by its " + nodeCores + " core" + (nodeCores == 1 ? "" : "s") + ")"
        : " (not pinned: the load generator shared the node's cores)");

    for (AsteriskAudioSocketClient c : clients) {
      c.hangUp();
    }
    nodeIn.println("quit");
    node.waitFor(20, TimeUnit.SECONDS);
    node.destroy();
    asterisk.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    peer.close();
    db.close();
    System.exit(0);
  }

  /** heap bytes after GC, process CPU ns, threads, active calls, skipped frames, server barge-in p99 (us), late ticks. */
  private static long[] stats(PrintWriter in, BufferedReader out) throws Exception {
    in.println("stats");
    String line = out.readLine();
    if (line == null || !line.startsWith("STATS ")) {
      throw new IllegalStateException("the node answered: " + line);
    }
    String[] p = line.substring(6).split(" ");
    return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]), Long.parseLong(p[3]),
        Long.parseLong(p[4]), (long) (Double.parseDouble(p[5]) * 1000), Long.parseLong(p[6])};
  }

  /** Pins every thread of this JVM (and so every thread and process it starts later) to {@code cpus}. */
  private static boolean pin(String cpus) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(ProcessHandle.current().pid()))
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      System.out.println("not pinned: no taskset (" + e.getMessage() + ")");
      return false;
    }
    String out = new String(p.getInputStream().readAllBytes()).trim();
    if (p.waitFor() != 0) {
      System.out.println("not pinned: taskset said " + out);
      return false;
    }
    return true;
  }

  /** How many CPUs a taskset list such as {@code 0}, {@code 0,1} or {@code 0-3} names. */
  static int cpuCount(String cpus) {
    int n = 0;
    for (String part : cpus.split(",")) {
      String[] range = part.trim().split("-");
      n += range.length == 1 ? 1 : Integer.parseInt(range[1].trim()) - Integer.parseInt(range[0].trim()) + 1;
    }
    return n;
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }

  /** Process CPU ns of the node, without the forced GC that {@code stats} does. */
  private static long cpuOf(PrintWriter in, BufferedReader out) throws Exception {
    in.println("cpu");
    String line = out.readLine();
    if (line == null || !line.startsWith("CPU ")) {
      throw new IllegalStateException("the node answered: " + line);
    }
    return Long.parseLong(line.substring(4));
  }

  private static int[] parseSteps(String s) {
    String[] parts = s.split(",");
    int[] steps = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      steps[i] = Integer.parseInt(parts[i].trim());
      if (steps[i] < 1 || (i > 0 && steps[i] <= steps[i - 1])) {
        throw new IllegalArgumentException("steps must be increasing positive numbers, got " + s);
      }
    }
    return steps;
  }
}
