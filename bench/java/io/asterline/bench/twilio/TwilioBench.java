package io.asterline.bench.twilio;

import io.asterline.bench.audiosocket.BenchPeer;
import static io.asterline.db.generated.Tables.CALL;
import static io.asterline.db.generated.Tables.TENANT;

import io.asterline.db.TestDatabase;
import io.asterline.db.generated.tables.records.CallRecord;
import io.asterline.db.generated.tables.records.TenantRecord;
import io.asterline.twilio.TwilioMediaStream;
import io.asterline.twilio.TwilioStandIn;
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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * N simulated Twilio streams against one node: each a {@link TwilioMediaStream} (media every 20 ms, the agent's
 * audio buffered and played at 8000 bytes a second, marks echoed as played, clear honoured), the Realtime peer
 * answering and barging in as in bench/audiosocket. Per step: the node's CPU per call, the spacing between the
 * media messages Asterline sends (it sends as the Realtime API delivers: bursts, then nothing, which Twilio's buffer
 * absorbs), the underruns at the client's 20 ms playout (the buffer ran dry while the answer was still coming),
 * and the barge-in stop (the peer's speech_started to the clear reaching the client).
 */
public final class TwilioBench {

  static final String STREAM_URL = "wss://asterline.example.com/twilio/stream";

  public static void main(String[] args) throws Exception {
    io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    int[] steps = Arrays.stream((args.length > 0 ? args[0] : "50").split(",")).mapToInt(s -> Integer.parseInt(s.trim()))
        .toArray();
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    int max = steps[steps.length - 1];
    String nodeCpus = System.getenv().getOrDefault("BENCH_NODE_CPUS", "0");
    String loadCpus = System.getenv().getOrDefault("BENCH_LOAD_CPUS", "1");
    boolean pinned = !nodeCpus.isBlank() && !loadCpus.isBlank() && pin(loadCpus);

    TestDatabase.Db db = TestDatabase.fresh(4);
    List<UUID> callIds = new ArrayList<>();
    List<String> callSids = new ArrayList<>();
    boolean record = "1".equals(System.getenv("BENCH_TWILIO_RECORDING"));
    db.dsl().transaction(tx -> {
      for (int i = 0; i < max; i++) {
        TenantRecord t = tx.dsl().newRecord(TENANT);
        t.setName("bench-" + i);
        t.setAiInstructions("bench call " + i + " ");
        t.setSilenceTimeoutMs(3_600_000);
        t.setRecordingEnabled(record);
        t.store();
        CallRecord c = tx.dsl().newRecord(CALL);
        c.setId(UUID.randomUUID());
        c.setTenantId(t.getId());
        c.setDirection("inbound");
        c.setState("answered");
        c.setProvider("twilio");
        String sid = TwilioMediaStream.newCallSid();
        c.setProviderCallSid(sid);
        c.store();
        callIds.add(c.getId());
        callSids.add(sid);
      }
    });

    List<List<Long>> bargeIns = new ArrayList<>();
    for (int i = 0; i < max; i++) {
      bargeIns.add(new CopyOnWriteArrayList<>());
    }
    BenchPeer peer = new BenchPeer(i -> i < bargeIns.size() ? bargeIns.get(i)::add : null);

    List<String> command = new ArrayList<>();
    if (pinned) {
      command.addAll(List.of("taskset", "-c", nodeCpus));
    }
    command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xms512m", "-Xmx2g", "-XX:+UseG1GC", "-Dio.netty.leakDetection.level=disabled",
        "-Dlogback.configurationFile=bench/twilio/logback.xml", "-cp", System.getProperty("java.class.path"),
        TwilioNode.class.getName(), db.jdbcUrl(), "ws://127.0.0.1:" + peer.port() + "/v1/realtime"));
    Process node = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader nodeOut = new BufferedReader(new InputStreamReader(node.getInputStream()));
    PrintWriter nodeIn = new PrintWriter(node.getOutputStream(), true);
    String portLine = nodeOut.readLine();
    while (portLine != null && !portLine.startsWith("PORT ")) {
      System.out.println("node: " + portLine);
      portLine = nodeOut.readLine();
    }
    if (portLine == null) {
      throw new IllegalStateException("the node did not start");
    }
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", Integer.parseInt(portLine.substring(5)));
    EventLoopGroup twilio = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-twilio"),
        NioIoHandler.newFactory());
    System.out.printf("Twilio Media Streams bench: steps %s, %d s measured per step, recording %s; %s%n",
        Arrays.toString(steps), seconds, record ? "on" : "off (BENCH_TWILIO_RECORDING=1 turns it on)",
        pinned ? "node pinned to CPU " + nodeCpus + ", clients, Realtime peer and PostgreSQL to CPU " + loadCpus
            : "not pinned");
    System.out.println("calls | send spacing p50 / p99 / max ms | underruns at 20 ms playout | barge-in stop p50 / p99"
        + " ms (speech_started -> clear at the client; node p99) | CPU/call % core | calls per core of node CPU | load");

    List<TwilioMediaStream> streams = new ArrayList<>();
    for (int step : steps) {
      while (streams.size() < step) {
        int i = streams.size();
        streams.add(TwilioMediaStream.connect(twilio, server, "/twilio/stream", STREAM_URL, TwilioStandIn.AUTH_TOKEN,
            null, TwilioStandIn.ACCOUNT_SID, callSids.get(i), Map.of("callId", callIds.get(i).toString())));
        if (i % 5 == 4) {
          Thread.sleep(100);
        }
      }
      Thread.sleep(4000);
      int[] arrivals0 = new int[step];
      int[] underruns0 = new int[step];
      int[] bargeIns0 = new int[step];
      for (int i = 0; i < step; i++) {
        arrivals0[i] = streams.get(i).mediaArrivals.size();
        underruns0[i] = streams.get(i).underruns;
        bargeIns0[i] = bargeIns.get(i).size();
      }
      long t0 = System.nanoTime();
      long cpu0 = cpu(nodeIn, nodeOut);
      Thread.sleep(seconds * 1000L);
      long cpu = cpu(nodeIn, nodeOut) - cpu0;
      long elapsed = System.nanoTime() - t0;
      List<Long> spacing = new ArrayList<>();
      List<Long> stops = new ArrayList<>();
      long underruns = 0;
      int closed = 0;
      for (int i = 0; i < step; i++) {
        TwilioMediaStream s = streams.get(i);
        if (s.closed.isDone()) {
          closed++;
        }
        List<Long> arrivals = s.mediaArrivals.subList(arrivals0[i], s.mediaArrivals.size());
        for (int k = 1; k < arrivals.size(); k++) {
          spacing.add(arrivals.get(k) - arrivals.get(k - 1));
        }
        underruns += s.underruns - underruns0[i];
        List<Long> clears = List.copyOf(s.clears);
        List<Long> sent = bargeIns.get(i);
        for (int k = bargeIns0[i]; k < sent.size(); k++) {
          long at = sent.get(k);
          clears.stream().filter(c -> c > at).findFirst().ifPresent(c -> stops.add(c - at));
        }
      }
      String[] nodeStats = stats(nodeIn, nodeOut);
      double nodeCores = (double) cpu / elapsed;
      System.out.printf("%5d | %5.1f / %6.1f / %7.1f | %d%s | %5.1f / %5.1f (%s) | %5.3f | %.0f (node at %.2f core) | %s%n",
          step, pct(spacing, 0.5), pct(spacing, 0.99), pct(spacing, 1.0), underruns,
          closed > 0 ? " (" + closed + " streams closed!)" : "", pct(stops, 0.5), pct(stops, 0.99), nodeStats[1],
          100.0 * nodeCores / step, step / Math.max(1e-9, nodeCores), nodeCores, loadAverage());
    }
    for (TwilioMediaStream s : streams) {
      s.stop();
    }
    Thread.sleep(500);
    nodeIn.println("quit");
    node.waitFor(20, TimeUnit.SECONDS);
    node.destroy();
    twilio.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    peer.close();
    db.close();
    System.exit(0);
  }

  private static double pct(List<Long> nanos, double p) {
    if (nanos.isEmpty()) {
      return Double.NaN;
    }
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    int rank = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
    return sorted[rank] / 1e6;
  }

  private static long cpu(PrintWriter in, BufferedReader out) throws Exception {
    in.println("cpu");
    String line = out.readLine();
    if (line == null || !line.startsWith("CPU ")) {
      throw new IllegalStateException("the node answered: " + line);
    }
    return Long.parseLong(line.substring(4));
  }

  /** active calls, node barge-in stop p99 (ms), threads. */
  private static String[] stats(PrintWriter in, BufferedReader out) throws Exception {
    in.println("stats");
    String line = out.readLine();
    if (line == null || !line.startsWith("STATS ")) {
      throw new IllegalStateException("the node answered: " + line);
    }
    return line.substring(6).split(" ");
  }

  private static boolean pin(String cpus) throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("taskset", "-a", "-p", "-c", cpus, Long.toString(ProcessHandle.current().pid()))
          .redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      System.out.println("not pinned: no taskset (" + e.getMessage() + ")");
      return false;
    }
    p.getInputStream().readAllBytes();
    return p.waitFor() == 0;
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}
