package io.asterline.bench.asterisk;

import io.asterline.db.Database;
import io.asterline.db.Migrations;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bench/asterisk: the product on a real Asterisk. Renders Asterisk's configuration from {@code docker/asterisk}
 * and {@code dialplan/} as the container's entry point does, starts that Asterisk, two Asterline nodes (the
 * packaged jar) on one PostgreSQL, a Realtime stand-in, and a carrier (SIP and RTP) on loopback; then checks
 * what callers and callees hear and what the call rows say, and measures calls at increasing concurrency from
 * the caller's RTP.
 *
 * <pre>
 *   bench/asterisk/run [--asterisk /usr/sbin/asterisk] [--steps 1,50,100,150,200,300] [--hold 14]
 *                      [--only functional|load] [--sounds DIR] [--media websocket,audiosocket]
 * </pre>
 */
public final class AsteriskBench {

  static final String ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";
  static final String AMI_USER = "asterline";
  static final String AMI_SECRET = "bench-ami-secret-0123456789abcdef";
  static final String AGENT_DID = "+15550001000";
  static final String CALLER_ID_DID = "+15550001001";
  static final String FULL_DID = "+15550002000";
  static final String TEN_DID = "+15550003000";
  static final String UNKNOWN_DID = "+15559990000";
  static final String HUMAN_PREFIX = "+1555020";
  static final String MACHINE_PREFIX = "+1555030";

  private final Options options;
  private final Path repo = Path.of("").toAbsolutePath();
  private final Path work;
  private final List<String> failures = new ArrayList<>();
  private int passed;
  private final AtomicInteger callers = new AtomicInteger();
  private final ScheduledExecutorService timers = Executors.newScheduledThreadPool(2, r -> {
    Thread t = new Thread(r, "bench-timer");
    t.setDaemon(true);
    return t;
  });

  private EmbeddedPostgres pg;
  private int pgPort;
  private String jdbcUrl;
  private RealtimePeer peer;
  private RtpLeg.Clock clock;
  private SipPhone carrier;
  private NodeProcess node1;
  private NodeProcess node2;
  private int mediaWs1;
  private int mediaWs2;
  private AsteriskProcess asterisk;
  private final Map<String, SipPhone.Leg> callees = new ConcurrentHashMap<>();
  /** While a load step runs: the file name prefix for its first calls' packet timelines. */
  private volatile String timeline;

  record Options(Path asterisk, int[] steps, int holdSeconds, String only, Path sounds, List<String> media) {}

  static final List<String> MEDIA = List.of("websocket", "audiosocket");
  /** The caller's phone in the figures: a fixed jitter buffer this deep, resynchronised at each RTP marker bit. */
  static final long JITTER_BUFFER_MS = 60;

  AsteriskBench(Options options) {
    this.options = options;
    this.work = repo.resolve("target/bench-asterisk")
        .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
  }

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    AsteriskBench bench = new AsteriskBench(o);
    int status;
    try {
      status = bench.run();
    } finally {
      bench.close();
    }
    System.exit(status);
  }

  private static Options parse(String[] args) {
    Path asterisk = null;
    int[] steps = {1, 50, 100, 150, 200, 300};
    int hold = 14;
    String only = null;
    Path sounds = null;
    List<String> media = MEDIA;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--asterisk" -> asterisk = Path.of(args[++i]);
        case "--steps" -> steps = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--hold" -> hold = Integer.parseInt(args[++i]);
        case "--only" -> only = args[++i];
        case "--sounds" -> sounds = Path.of(args[++i]);
        case "--media" -> {
          media = List.of(args[++i].split(","));
          for (String m : media) {
            if (!MEDIA.contains(m)) {
              throw new IllegalArgumentException("--media takes " + String.join(",", MEDIA) + " (one or both), got " + m);
            }
          }
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; known: --asterisk PATH, --steps 1,50,..., --hold SECONDS, --only functional|load, --sounds DIR, "
            + "--media websocket,audiosocket");
      }
    }
    if (asterisk == null) {
      asterisk = onPath("asterisk");
    }
    if (asterisk == null || !Files.isExecutable(asterisk)) {
      throw new IllegalArgumentException("no Asterisk: put asterisk on PATH or give --asterisk /path/to/asterisk");
    }
    return new Options(asterisk, steps, hold, only, sounds, media);
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      for (String d : List.of(dir)) {
        Path p = Path.of(d, name);
        if (Files.isExecutable(p)) {
          return p;
        }
      }
    }
    for (String d : List.of("/usr/sbin", "/usr/local/sbin")) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  int run() throws Exception {
    Files.createDirectories(work);
    System.out.println("bench/asterisk: " + asteriskVersion() + ", work directory " + work);
    start();
    if (options.only() == null || options.only().equals("functional")) {
      functional();
    }
    if (options.only() == null || options.only().equals("load")) {
      load();
    }
    System.out.printf(Locale.ROOT, "%nchecks: %d passed, %d failed%n", passed, failures.size());
    for (String f : failures) {
      System.out.println("  FAILED " + f);
    }
    System.out.println("logs: " + work);
    return failures.isEmpty() ? 0 : 1;
  }

  private String asteriskVersion() throws IOException, InterruptedException {
    Process p = new ProcessBuilder(options.asterisk().toString(), "-V").redirectErrorStream(true).start();
    String v = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    return v;
  }

  // ---------------------------------------------------------------- set-up

  private void start() throws Exception {
    pgPort = freeTcp();
    pg = Database.startEmbedded(work.resolve("postgres"), pgPort);
    jdbcUrl = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres";
    Migrations.apply(pg.getPostgresDatabase());
    seed();

    peer = new RealtimePeer(0);
    clock = new RtpLeg.Clock();
    int sipPort = freeUdp();
    carrier = new SipPhone(0, new InetSocketAddress("127.0.0.1", sipPort), clock, this::callee);

    int amiPort = freeTcp();
    Path recordings = work.resolve("recordings");
    Files.createDirectories(recordings);
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DATABASE_URL", jdbcUrl);
    env.put("DATABASE_USER", "postgres");
    env.put("DATABASE_PASSWORD", Database.embeddedPassword(work.resolve("postgres")));
    env.put("ASTERLINE_ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("OPENAI_API_KEY", "sk-bench-not-a-real-key");
    env.put("REALTIME_URL", "ws://127.0.0.1:" + peer.port() + "/v1/realtime");
    env.put("ASTERISK_AMI_HOST", "127.0.0.1");
    env.put("ASTERISK_AMI_PORT", Integer.toString(amiPort));
    env.put("ASTERISK_AMI_USER", AMI_USER);
    env.put("ASTERISK_AMI_PASSWORD", AMI_SECRET);
    env.put("RECORDINGS_DIR", recordings.toString());
    env.put("RECORDINGS_SETTLE", "1s");
    env.put("RECORDINGS_POLL_INTERVAL", "500ms");
    env.put("OUTBOUND_CPS", "50");
    env.put("SHUTDOWN_GRACE_PERIOD", "2s");
    Path jar = repo.resolve("target/asterline.jar");
    int as1 = freeTcp();
    int as2 = freeTcp();
    env.put("MEDIAWS_PASSWORD", AsteriskProcess.MEDIAWS_PASSWORD);
    mediaWs1 = freeTcp();
    mediaWs2 = freeTcp();
    node1 = new NodeProcess("node1", jar, work, freeTcp(), freeTcp(), as1, env)
        .with("AGI_AUDIOSOCKET_ADDRESS", "127.0.0.1:" + as1).with("MEDIAWS_PORT", Integer.toString(mediaWs1));
    node2 = new NodeProcess("node2", jar, work, freeTcp(), freeTcp(), as2, env)
        .with("AGI_AUDIOSOCKET_ADDRESS", "127.0.0.1:" + as2).with("MEDIAWS_PORT", Integer.toString(mediaWs2));
    node1.start();
    node2.start();

    AsteriskProcess.Ports ports = new AsteriskProcess.Ports(sipPort, amiPort, 30000, 31999, carrier.port());
    asterisk = new AsteriskProcess(options.asterisk(), repo, work.resolve("asterisk"), ports, AMI_USER, AMI_SECRET,
        "agi://127.0.0.1:" + node1.agi, options.sounds());
    asterisk.global("ASTERLINE_AGI_BACKUP", "agi://127.0.0.1:" + node2.agi);
    // the shipped transport (ASTERLINE_MEDIA in extensions.conf): node1's connection, node2's as the backup
    asterisk.mediaWs(mediaWs1, mediaWs2);
    asterisk.global("ASTERLINE_WEBSOCKET_BACKUP", "asterline-b");
    System.out.println("agent transport: " + asterisk.media());
    asterisk.start();
    System.out.println("started: Asterisk pid " + asterisk.pid() + " (SIP 127.0.0.1:" + sipPort + ", AMI " + amiPort
        + "), node1 pid " + node1.pid() + " (AGI " + node1.agi + "), node2 pid " + node2.pid() + " (AGI " + node2.agi
        + "), Realtime stand-in " + peer.port() + ", carrier " + carrier.port() + ", PostgreSQL " + pgPort
        + (options.sounds() == null ? ", no sound files (a bare Asterisk)" : ", sounds " + options.sounds()));
    String modules = asterisk.cli("module show like amd");
    if (!modules.contains("app_amd")) {
      System.out.println("note: app_amd is not loaded: " + modules.trim());
    }
  }

  private void seed() throws SQLException {
    try (Connection c = db(); Statement s = c.createStatement()) {
      s.execute("INSERT INTO tenant (id, name, max_concurrent_calls, ai_fallback) VALUES "
          + "(1, 'bench', 1000, 'voicemail'), (2, 'full', 0, 'voicemail'), (3, 'ten', 10, 'voicemail')");
      s.execute("INSERT INTO did (tenant_id, number, trunk) VALUES (1, '" + AGENT_DID + "', 'DIDWW'), "
          + "(1, '" + CALLER_ID_DID + "', 'DIDWW'), (2, '" + FULL_DID + "', 'DIDWW'), (3, '" + TEN_DID + "', 'DIDWW')");
    }
  }

  private Connection db() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, "postgres", Database.embeddedPassword(work.resolve("postgres")));
  }

  private static int freeTcp() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static int freeUdp() throws IOException {
    try (DatagramSocket s = new DatagramSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** What the bench's callee does: a "hello" and then silence (a person), or silence (an answering machine's pause). */
  private SipPhone.Callee callee(String number) {
    return leg -> {
      callees.put(number, leg);
      if (number.startsWith(HUMAN_PREFIX)) {
        timers.schedule(() -> leg.rtp.talk(600, 300), 300, TimeUnit.MILLISECONDS);
      }
    };
  }

  // ---------------------------------------------------------------- functional checks

  private void functional() throws Exception {
    System.out.println("\n== functional checks");
    doctor();
    inbound();
    outbound();
    unknownDid();
    overCapacity();
    realtimeRefused();
    realtimeStalled();
    databaseOutage();
    admissionAcrossNodes();
    failover();
    audioSocketUnreachable();
    asterlineStopped();
  }

  /**
   * asterline doctor against the real Asterisk, as an operator runs it on a node's host: it passes on the shipped
   * configuration, and names the module when one the dialplan needs is not running.
   */
  private void doctor() throws Exception {
    NodeProcess.CommandResult good = node1.command("doctor");
    check("doctor: the shipped configuration passes", good.exit() == 0, summary(good));
    String mediaLine = good.output().lines().filter(l -> l.startsWith("OK    media") || l.startsWith("WARN  media"))
        .findFirst().orElse("(no media line)");
    check("doctor: names the dialplan's media transport and finds its modules running",
        mediaLine.startsWith("OK    media: ASTERLINE_MEDIA is " + asterisk.media())
            && (!asterisk.media().equals("websocket") || mediaLine.contains("chan_websocket and res_websocket_client")),
        mediaLine);
    asterisk.cli("module unload app_playtones.so");
    try {
      NodeProcess.CommandResult broken = node1.command("doctor");
      check("doctor: a module the dialplan needs is missing -> named, exit 1",
          broken.exit() == 1 && broken.output().contains("app_playtones"), summary(broken));
    } finally {
      asterisk.cli("module load app_playtones.so");
    }
  }

  private static String summary(NodeProcess.CommandResult r) {
    StringBuilder b = new StringBuilder("exit " + r.exit());
    for (String line : r.output().split("\n")) {
      if (line.startsWith("FAIL") || line.startsWith("WARN") || line.contains("app_playtones")) {
        b.append("; ").append(line.trim());
      }
    }
    return b.toString();
  }

  private void inbound() throws Exception {
    String from = nextCaller();
    SipPhone.Leg leg = carrier.call(AGENT_DID, from);
    Figures f = talkAndHangUp(leg, 3000, 9000);
    check("inbound: answered", f.answered(), "final response " + f.finalResponse());
    check("inbound: greeting heard", f.greetingMs() >= 0 && f.greetingMs() < 1000, ms("greeting after 200 OK", f.greetingMs()));
    check("inbound: barge-in stops the agent", f.bargeInMs() >= 0 && f.bargeInMs() < 400, ms("agent audio stopped after the caller spoke", f.bargeInMs()));
    check("inbound: reply heard", f.replyMs() >= 0 && f.replyMs() < 2000, ms("reply after the caller stopped", f.replyMs()));
    // the agent's part of the story (first audio, end reason) is written when its leg closes, beside call-end
    Map<String, Object> row = await(() -> callRow("remote_number", from),
        r -> "ended".equals(r.get("state")) && r.get("agent_end_reason") != null, 10);
    check("inbound: call row ended with an outcome and the agent's story", row != null && row.get("first_audio_at") != null
        && row.get("agent_end_reason") != null,
        row == null ? "no row" : "first audio " + row.get("first_audio_at") + ", agent end " + row.get("agent_end_reason"));
    check("inbound: call row ended with an outcome", row != null && "ended".equals(row.get("state")) && row.get("outcome") != null,
        String.valueOf(row));
    check("inbound: answered_at set", row != null && row.get("answered_at") != null, row == null ? "no row" : "answered_at " + row.get("answered_at"));
    Map<String, Object> job = row == null ? null : await(() -> recordingJob(row.get("id")), r -> "done".equals(r.get("state")), 30);
    check("inbound: recording stored", job != null && "done".equals(job.get("state")) && job.get("storage_key") != null
        && Files.size(Path.of((String) job.get("source_file"))) > 44, String.valueOf(job));
  }

  private void outbound() throws Exception {
    await(() -> node1.get("/health", ADMIN_TOKEN).contains("\"ami\":{\"state\":\"UP\"") ? Map.of() : null, r -> true, 15);
    // a person: says hello, hears the agent
    String human = HUMAN_PREFIX + String.format("%04d", callers.incrementAndGet() % 10000);
    HttpResponse<String> r = node1.post("/api/outbound/call", ADMIN_TOKEN,
        "{\"business_id\":1,\"lead_id\":1,\"to_number\":\"" + human + "\"}");
    check("outbound HUMAN: API accepted", r.statusCode() == 202 || r.statusCode() == 200, r.statusCode() + " " + r.body());
    SipPhone.Leg h = await(() -> callees.get(human), l -> true, 15);
    check("outbound HUMAN: callee rang and answered", h != null, h == null ? "no INVITE reached the callee" : "answered");
    if (h != null) {
      long deadline = System.nanoTime() + 10_000_000_000L;
      int g = -1;
      while (System.nanoTime() < deadline && (g = h.rtp.received().firstSpeech(h.answeredAt + 1_000_000_000L)) < 0 && !h.ended.isDone()) {
        Thread.sleep(100);
      }
      RtpLeg.Received rec = h.rtp.received();
      check("outbound HUMAN: callee hears the agent", g >= 0, g < 0 ? "no agent audio within 10 s (ended: " + h.ended.getNow("no") + ")"
          : ms("agent audio after the answer", (rec.at()[g] - h.answeredAt) / 1e6));
      Thread.sleep(2000);
      h.hangup();
      String id = json(r.body(), "call_id");
      Map<String, Object> row = await(() -> callRow("id", id), x -> "ended".equals(x.get("state")), 10);
      check("outbound HUMAN: call row", row != null && "ended".equals(row.get("state")) && row.get("outcome") != null
          && "HUMAN".equals(row.get("amd_status")) && "human".equals(row.get("voicemail_result")), String.valueOf(row));
    }
    // an answering machine's silence: AMD says MACHINE, the tenant's voicemail action (hang up) follows
    String machine = MACHINE_PREFIX + String.format("%04d", callers.incrementAndGet() % 10000);
    r = node1.post("/api/outbound/call", ADMIN_TOKEN, "{\"business_id\":1,\"lead_id\":2,\"to_number\":\"" + machine + "\"}");
    SipPhone.Leg m = await(() -> callees.get(machine), l -> true, 15);
    check("outbound MACHINE: callee answered", m != null, r.statusCode() + " " + r.body());
    if (m != null) {
      String ended = null;
      try {
        ended = m.ended.get(15, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        m.hangup();
      }
      check("outbound MACHINE: Asterisk hangs up (voicemail action hangup)", "remote BYE".equals(ended),
          ended == null ? "still up after 15 s" : ended + " after " + ms("", (m.endedAt - m.answeredAt) / 1e6));
      String id = json(r.body(), "call_id");
      Map<String, Object> row = await(() -> callRow("id", id), x -> "ended".equals(x.get("state")), 10);
      check("outbound MACHINE: call row", row != null && "ended".equals(row.get("state")) && row.get("outcome") != null
          && "MACHINE".equals(row.get("amd_status")) && "machine".equals(row.get("voicemail_result")), String.valueOf(row));
    }
  }

  private void unknownDid() throws Exception {
    SipPhone.Leg leg = carrier.call(UNKNOWN_DID, nextCaller());
    int code = leg.finalResponse.get(10, TimeUnit.SECONDS);
    check("failure heard: unknown DID gets 404 (cause 1, the network's 'not in service')", code == 404, "final response " + code);
  }

  private void overCapacity() throws Exception {
    heardFailure("failure heard: tenant over capacity", FULL_DID);
  }

  private void realtimeRefused() throws Exception {
    peer.refuse();
    try {
      String from = nextCaller();
      SipPhone.Leg leg = carrier.call(AGENT_DID, from);
      // the caller leaves a 2 s message after the greeting and the beep, then hangs up (how most callers finish)
      Figures f = talkAndHangUp(leg, 4000, 7500, 2000);
      check("failure heard: Realtime refused -> tenant fallback (voicemail)", f.answered() && f.greetingMs() >= 0 && f.greetingMs() < 4000,
          f.answered() ? ms("first audio after 200 OK", f.greetingMs()) : "final response " + f.finalResponse());
      Map<String, Object> row = await(() -> callRow("remote_number", from), r -> r.get("voicemail_file") != null, 10);
      Map<String, Object> job = row == null || row.get("voicemail_file") == null ? null
          : await(() -> recordingJob(row.get("id"), "voicemail"), r -> "done".equals(r.get("state")), 30);
      check("voicemail: the caller's message stored on the call and by the recording jobs",
          job != null && "done".equals(job.get("state")) && ((Number) row.get("voicemail_duration_ms")).intValue() >= 1500,
          row == null ? "no call row" : "voicemail " + row.get("voicemail_file") + ", " + row.get("voicemail_duration_ms")
              + " ms, job " + job);
    } finally {
      peer.accept();
    }
  }

  /**
   * The Realtime API stops mid-call with its connection open, right after the caller's turn: the agent owes an
   * answer and hears nothing. The caller must hear the tenant's fallback (voicemail) within 2 s of the node's
   * liveness deadline (realtime.liveness-timeout, 5 s by default), not silence until they give up.
   */
  private void realtimeStalled() throws Exception {
    peer.stallAfterTurn = true;
    peer.stalledAt = 0;
    try {
      String from = nextCaller();
      SipPhone.Leg leg = carrier.call(AGENT_DID, from);
      Figures f = talkAndHangUp(leg, 2000, 12_000);
      long stalledAt = peer.stalledAt;
      RtpLeg.Received r = leg.rtp.received();
      int heard = stalledAt == 0 ? -1 : r.firstSpeech(stalledAt);
      double ms = heard < 0 ? -1 : (r.at()[heard] - stalledAt) / 1e6;
      check("failure heard: Realtime stalls mid-call -> tenant fallback within 2 s of the 5 s liveness deadline",
          f.answered() && ms >= 0 && ms < 7000, stalledAt == 0 ? "the stand-in never stalled" : ms("fallback heard after the stall", ms));
      Map<String, Object> row = await(() -> callRow("remote_number", from), x -> x.get("agent_end_reason") != null, 10);
      check("failure heard: the stalled call's row says why", row != null && "upstream_failure".equals(row.get("agent_end_reason")),
          row == null ? "no row" : "agent end " + row.get("agent_end_reason") + ", outcome " + row.get("outcome"));
    } finally {
      peer.stallAfterTurn = false;
    }
  }

  /**
   * PostgreSQL stops: a caller must still reach the agent (inbound answers DEGRADED from the node's memory, the
   * media leg and after-agent too), and when the database is back the call row holds the whole call.
   */
  private void databaseOutage() throws Exception {
    int port = pgPort;
    long stoppedAt = System.nanoTime();
    pg.close();
    String from = nextCaller();
    try {
      SipPhone.Leg leg = carrier.call(AGENT_DID, from);
      Figures f = talkAndHangUp(leg, 3000, 8000);
      RtpLeg.Received r = leg.rtp.received();
      int g = f.answered() ? r.firstSpeech(leg.answeredAt) : -1;
      check("database down: the caller still talks to the agent (DEGRADED)",
          f.answered() && f.greetingMs() >= 0 && f.greetingMs() < 2000 && f.bargeInMs() >= 0 && f.replyMs() >= 0,
          f.answered() ? ms("greeting after 200 OK", f.greetingMs()) + ", " + ms("from the database stop", g < 0 ? -1
              : (r.at()[g] - stoppedAt) / 1e6) + ", " + ms("barge-in", f.bargeInMs()) + ", " + ms("reply", f.replyMs())
              : "final response " + f.finalResponse());
    } finally {
      pg = Database.startEmbedded(work.resolve("postgres"), port);
    }
    Map<String, Object> row = await(() -> callRow("remote_number", from),
        x -> "ended".equals(x.get("state")) && x.get("agent_end_reason") != null, 40);
    check("database back: the DEGRADED call's row holds its story", row != null && "ended".equals(row.get("state"))
        && row.get("outcome") != null && row.get("first_audio_at") != null && row.get("agent_end_reason") != null,
        String.valueOf(row));
  }

  private void admissionAcrossNodes() throws Exception {
    double before1 = node1.metric("asterline_agi_request_seconds_count");
    double before2 = node2.metric("asterline_agi_request_seconds_count");
    List<SipPhone.Leg> legs = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      legs.add(carrier.call(TEN_DID, nextCaller()));
      Thread.sleep(30);
    }
    Thread.sleep(6000);
    long up = legs.stream().filter(SipPhone.Leg::isUp).count();
    double active1 = node1.metric("asterline_calls_active");
    double active2 = node2.metric("asterline_calls_active");
    double agi1 = node1.metric("asterline_agi_request_seconds_count") - before1;
    double agi2 = node2.metric("asterline_agi_request_seconds_count") - before2;
    for (SipPhone.Leg l : legs) {
      l.hangup();
    }
    check("two nodes: tenant limit 10 exact across both nodes", up == 10 && active1 + active2 == 10,
        up + " callers still talking after 6 s, agent calls active node1 " + (int) active1 + " + node2 " + (int) active2);
    check("two nodes: both nodes answered FastAGI and carried audio", agi1 > 0 && agi2 > 0 && active1 > 0 && active2 > 0,
        "AGI requests node1 " + (int) agi1 + ", node2 " + (int) agi2);
    Thread.sleep(2000);
  }

  private void failover() throws Exception {
    node1.stop();
    try {
      double before = node2.metric("asterline_agi_request_seconds_count");
      SipPhone.Leg leg = carrier.call(AGENT_DID, nextCaller());
      Figures f = talkAndHangUp(leg, 3000, 6000);
      double after = node2.metric("asterline_agi_request_seconds_count");
      check("two nodes: node1 stopped, the dialplan falls over to node2", f.answered() && f.greetingMs() >= 0 && f.greetingMs() < 1000
          && after > before, ms("greeting", f.greetingMs()) + ", node2 AGI requests +" + (int) (after - before));
    } finally {
      node1.start();
    }
  }

  private void audioSocketUnreachable() throws Exception {
    node2.stop();
    node1.stop();
    int closed = freeTcp();
    // neither transport reaches node1's agent side: the AudioSocket address it hands out and the WebSocket port
    // websocket_client.conf names are both closed
    node1.with("AGI_AUDIOSOCKET_ADDRESS", "127.0.0.1:" + closed).with("MEDIAWS_PORT", Integer.toString(freeTcp()));
    node1.start();
    try {
      heardFailure("failure heard: agent unreachable (" + asterisk.media() + ")", AGENT_DID);
    } finally {
      node1.stop();
      node1.with("AGI_AUDIOSOCKET_ADDRESS", "127.0.0.1:" + node1.audioSocket)
          .with("MEDIAWS_PORT", Integer.toString(mediaWs1));
      node1.start();
      node2.start();
    }
  }

  private void asterlineStopped() throws Exception {
    node1.stop();
    node2.stop();
    try {
      heardFailure("failure heard: Asterline stopped (FastAGI unreachable)", AGENT_DID);
    } finally {
      node1.start();
      node2.start();
    }
  }

  /** A call that Asterline cannot take: the caller must hear something (announcement or tone), then be hung up. */
  private void heardFailure(String name, String did) throws Exception {
    SipPhone.Leg leg = carrier.call(did, nextCaller());
    int code = leg.finalResponse.get(15, TimeUnit.SECONDS);
    String ended = null;
    try {
      ended = leg.ended.get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      leg.hangup();
    }
    RtpLeg.Received r = leg.rtp.received();
    int first = code == 200 ? r.firstSpeech(leg.answeredAt) : -1;
    long speech = 0;
    for (boolean s : r.speech()) {
      speech += s ? 1 : 0;
    }
    check(name, code == 200 && first >= 0 && "remote BYE".equals(ended),
        "final response " + code + (first >= 0 ? ", " + speech * 20 + " ms of audio heard, first after "
            + Math.round((r.at()[first] - leg.answeredAt) / 1e6) + " ms" : ", nothing heard") + ", " + ended);
  }

  // ---------------------------------------------------------------- load

  private void load() throws Exception {
    // the load runs on one node, as the figures compare with one node's capacity
    asterisk.cli("dialplan set global ASTERLINE_AGI_BACKUP ");
    node2.stop();
    System.out.println("\n== load: " + options.holdSeconds() + " s calls, the caller talks 1 s over the 10 s greeting at +4 s "
        + "(one node; figures from the caller's RTP; media " + String.join(", ", options.media())
        + ", one transport at a time, their order alternating from step to step)");
    // a fresh node's first calls run cold code (JIT, first connections): warm it as a day of traffic would, on
    // every transport measured
    for (String m : options.media()) {
      media(m);
      List<SipPhone.Leg> warm = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        warm.add(carrier.call(AGENT_DID, nextCaller()));
        Thread.sleep(50);
      }
      Thread.sleep(5000);
      for (SipPhone.Leg l : warm) {
        l.hangup();
        clock.close(l.rtp);
      }
      Thread.sleep(3000);
    }
    List<String> rows = new ArrayList<>();
    int[] steps = options.steps();
    for (int s = 0; s < steps.length; s++) {
      for (int k = 0; k < options.media().size(); k++) {
        String m = options.media().get((k + s) % options.media().size());
        media(m);
        rows.add(step(steps[s], m));
      }
    }
    System.out.println("\n| calls | media (channels seen) | answered | clean (no gap > 60 ms) | greeting p50 / p99 | barge-in stop p50 / p99 "
        + "| jitter p99 | late packets | lost at a " + JITTER_BUFFER_MS + " ms jitter buffer: calls / p99 / total | CPU Asterisk | CPU Asterline | CPU per call (both) | truncate - heard: p99 / max |"
        + " node ticks > 5 ms late / skipped | busiest media loop of the node: running / waiting for a CPU (% of the step) "
        + "| threads Asterisk / Asterline | the bench itself (CPU, sender ticks > 5 ms late) | load |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  /** Selects the transport of the calls that start from now on: the dialplan's deployment-wide setting. */
  private void media(String m) throws Exception {
    asterisk.cli("dialplan set global ASTERLINE_MEDIA " + m);
  }

  private String step(int n, String media) throws Exception {
    timeline = "rtp-" + n + "-" + media;
    long lateBefore = clock.lateTicks;
    peer.truncated.clear();
    double nodeLate0 = node1.metric("asterline_audiosocket_ticks_late_total");
    double nodeSkipped0 = node1.metric("asterline_audiosocket_frames_skipped_total");
    List<SipPhone.Leg> legs = new ArrayList<>();
    List<Figures> figures = java.util.Collections.synchronizedList(new ArrayList<>());
    long[] cpu0 = {cpu(asterisk.pid()), cpu(node1.pid()), cpu(ProcessHandle.current().pid())};
    Map<String, long[]> loops0 = loopWaits(node1.pid());
    long t0 = System.nanoTime();
    List<Thread> waiters = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SipPhone.Leg leg = carrier.call(AGENT_DID, nextCaller());
      legs.add(leg);
      // each caller its own pitch: the Realtime stand-in tells the calls' truncates apart by it
      double hz = 300 + 10 * i;
      Thread w = new Thread(() -> {
        try {
          figures.add(talkAndHangUp(leg, 4000, options.holdSeconds() * 1000L, 1000, hz));
        } catch (Exception e) {
          figures.add(Figures.failed(-1));
        }
      }, "bench-call-" + i);
      w.setDaemon(true);
      w.start();
      waiters.add(w);
      Thread.sleep(10);
    }
    // which channel technology carries the agent legs, seen in Asterisk itself mid-step (after the greeting started)
    Thread.sleep(2000);
    String channels = asterisk.cli("core show channels concise");
    int asteriskThreads = threads(asterisk.pid());
    int nodeThreads = threads(node1.pid());
    int ws = 0;
    int as = 0;
    for (String line : channels.split("\n")) {
      ws += line.startsWith("WebSocket/") ? 1 : 0;
      as += line.startsWith("AudioSocket/") ? 1 : 0;
    }
    for (Thread w : waiters) {
      w.join();
    }
    long wall = System.nanoTime() - t0;
    long[] cpu1 = {cpu(asterisk.pid()), cpu(node1.pid()), cpu(ProcessHandle.current().pid())};
    Map<String, long[]> loops1 = loopWaits(node1.pid());
    // the busiest loop (the one that ran most): the other transport's loops sit idle in this step
    long loopWait = 0;
    long loopRun = 0;
    for (Map.Entry<String, long[]> e : loops1.entrySet()) {
      long[] before = loops0.getOrDefault(e.getKey(), new long[2]);
      if (e.getValue()[0] - before[0] > loopRun) {
        loopRun = e.getValue()[0] - before[0];
        loopWait = e.getValue()[1] - before[1];
      }
    }
    double nodeLate = node1.metric("asterline_audiosocket_ticks_late_total") - nodeLate0;
    double nodeSkipped = node1.metric("asterline_audiosocket_frames_skipped_total") - nodeSkipped0;
    int answered = 0;
    int clean = 0;
    List<Double> greet = new ArrayList<>();
    List<Double> barge = new ArrayList<>();
    List<Double> jitter = new ArrayList<>();
    long late = 0;
    List<Double> concealed = new ArrayList<>();
    int concealing = 0;
    long concealedTotal = 0;
    for (Figures f : figures) {
      if (!f.answered()) {
        continue;
      }
      answered++;
      concealed.add((double) f.concealedMs());
      concealing += f.concealedMs() > 0 ? 1 : 0;
      concealedTotal += f.concealedMs();
      if (f.gaps() == 0 && f.greetingMs() >= 0) {
        clean++;
      }
      if (f.greetingMs() >= 0) {
        greet.add(f.greetingMs());
      }
      if (f.bargeInMs() >= 0) {
        barge.add(f.bargeInMs());
      }
      jitter.addAll(f.jitter());
      late += f.late();
    }
    List<Double> truncateError = truncateErrors(figures);
    dump(n, media, figures);
    double asteriskCpu = 100.0 * (cpu1[0] - cpu0[0]) * 1e7 / wall;
    double nodeCpu = 100.0 * (cpu1[1] - cpu0[1]) * 1e7 / wall;
    double benchCpu = 100.0 * (cpu1[2] - cpu0[2]) * 1e7 / wall;
    String row = String.format(Locale.ROOT, "| %d | %s (%d WebSocket, %d AudioSocket) | %d | %d | %.0f / %.0f ms | %.0f / %.0f ms | %.1f ms | %d "
        + "| %d / %.0f ms / %d ms | %.0f %% | %.0f %% | %.3f %% | %s | %d / %d | %.1f %% / %.1f %% | %d / %d "
        + "| %.0f %%, %d late ticks | %s |",
        n, media, ws, as, answered, clean, pct(greet, 50), pct(greet, 99), pct(barge, 50), pct(barge, 99), pct(jitter, 99), late,
        concealing, pct(concealed, 99), concealedTotal,
        asteriskCpu, nodeCpu, (asteriskCpu + nodeCpu) / n,
        truncateError.isEmpty() ? "none matched" : String.format(Locale.ROOT, "%.0f / %.0f ms (%d of %d calls)",
            pct(truncateError, 99), pct(truncateError, 100), truncateError.size(), answered),
        (long) nodeLate, (long) nodeSkipped, 100.0 * loopRun / wall, 100.0 * loopWait / wall, asteriskThreads, nodeThreads, benchCpu,
        clock.lateTicks - lateBefore, loadAverage());
    System.out.println(row);
    for (SipPhone.Leg l : legs) {
      clock.close(l.rtp);
    }
    // every call row must end
    long open = await(() -> {
      long c = openCalls();
      return c == 0 ? c : null;
    }, c -> true, 30) == null ? openCalls() : 0;
    boolean rightMedia = media.equals("websocket") ? ws > 0 && as == 0 : as > 0 && ws == 0;
    if (open > 0 || answered < n || !rightMedia) {
      failures.add("load " + n + " " + media + ": " + answered + " of " + n + " answered, " + open + " call rows not ended, "
          + ws + " WebSocket and " + as + " AudioSocket channels seen");
    } else {
      passed++;
    }
    Thread.sleep(3000);
    return row;
  }

  /**
   * For each call whose greeting was cut by the caller: the played milliseconds the node sent in its truncate
   * (as the Realtime stand-in received it, matched to the call by the caller's pitch) minus what the caller's RTP
   * shows was played of the greeting before it stopped; absolute values.
   */
  private List<Double> truncateErrors(List<Figures> figures) {
    List<RealtimePeer.Truncate> truncates = new ArrayList<>(peer.truncated);
    List<Double> errors = new ArrayList<>();
    for (Figures f : figures) {
      if (!f.answered() || f.heardMs() < 0 || f.talkHz() <= 0) {
        continue;
      }
      for (RealtimePeer.Truncate t : truncates) {
        if (Math.abs(t.callerHz() - f.talkHz()) < 3 && t.audioEndMs >= 0) {
          errors.add((double) Math.abs(t.audioEndMs - f.heardMs()));
          break;
        }
      }
    }
    return errors;
  }

  /** Every call's figures and every truncate the stand-in saw, for a closer look than the table's. */
  private void dump(int n, String media, List<Figures> figures) throws IOException {
    StringBuilder b = new StringBuilder("talk_hz,answered,greeting_ms,barge_in_ms,heard_ms,gaps,late,concealed_ms\n");
    for (Figures f : figures) {
      b.append(f.talkHz()).append(',').append(f.answered()).append(',').append(f.greetingMs()).append(',')
          .append(f.bargeInMs()).append(',').append(f.heardMs()).append(',').append(f.gaps()).append(',').append(f.late())
          .append(',').append(f.concealedMs()).append('\n');
    }
    b.append("\ntruncate_caller_hz,item,audio_end_ms,ms_after_speech_started\n");
    for (RealtimePeer.Truncate t : peer.truncated) {
      b.append(String.format(Locale.ROOT, "%.1f", t.callerHz())).append(',').append(t.itemId).append(',').append(t.audioEndMs)
          .append(',').append(t.speechStartedAt == 0 ? -1 : (t.at - t.speechStartedAt) / 1_000_000).append('\n');
    }
    Files.writeString(work.resolve("load-" + n + "-" + media + ".csv"), b.toString());
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }

  private static long cpu(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Per thread of the node that carries calls' media (its Netty event loops): nanoseconds run and nanoseconds
   * spent runnable but waiting for a CPU, from {@code /proc/<pid>/task/<tid>/schedstat}. The wait is what a busy
   * box does to the pacing: a loop that waits for a CPU sends its frames late.
   */
  private static Map<String, long[]> loopWaits(long pid) {
    Map<String, long[]> m = new LinkedHashMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks.toList()) {
        try {
          String comm = Files.readString(t.resolve("comm")).trim();
          if (comm.startsWith("audiosocket-io") || comm.startsWith("mediaws-io")) {
            String[] f = Files.readString(t.resolve("schedstat")).trim().split(" ");
            m.put(t.getFileName().toString(), new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
          }
        } catch (IOException | RuntimeException e) {
          // the thread ended
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    return m;
  }

  private static int threads(long pid) {
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      return (int) tasks.count();
    } catch (IOException e) {
      return -1;
    }
  }

  private static double pct(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v[(int) Math.min(v.length - 1, Math.ceil(p / 100.0 * v.length) - 1)];
  }

  // ---------------------------------------------------------------- one call, as the caller hears it

  /**
   * What a caller heard: time from the 200 OK to the first speech, from the caller's first spoken packet to the
   * agent's first silent one (barge-in), from the end of the caller's words to the reply, and the packet timing
   * while the agent spoke.
   */
  record Figures(boolean answered, int finalResponse, double greetingMs, double bargeInMs, double replyMs, int gaps,
      List<Double> jitter, long late, double talkHz, long heardMs, long concealedMs) {
    static Figures failed(int code) {
      return new Figures(false, code, -1, -1, -1, 0, List.of(), 0, -1, -1, 0);
    }
  }

  private Figures talkAndHangUp(SipPhone.Leg leg, long talkAtMs, long hangupAtMs) throws Exception {
    return talkAndHangUp(leg, talkAtMs, hangupAtMs, 1000);
  }

  private Figures talkAndHangUp(SipPhone.Leg leg, long talkAtMs, long hangupAtMs, long talkMs) throws Exception {
    return talkAndHangUp(leg, talkAtMs, hangupAtMs, talkMs, 300);
  }

  private Figures talkAndHangUp(SipPhone.Leg leg, long talkAtMs, long hangupAtMs, long talkMs, double hz) throws Exception {
    int code;
    try {
      code = leg.finalResponse.get(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      leg.hangup();
      return Figures.failed(-1);
    }
    if (code != 200) {
      return Figures.failed(code);
    }
    long answered = leg.answeredAt;
    long talkAt = answered + talkAtMs * 1_000_000L;
    long hangupAt = answered + hangupAtMs * 1_000_000L;
    // no polling: at 300 calls, 300 threads waking every 20 ms would compete with what is measured
    boolean talked = false;
    if (!awaitEnd(leg, talkAt)) {
      leg.rtp.talk(talkMs, hz);
      talked = true;
      awaitEnd(leg, hangupAt);
    }
    leg.hangup();
    RtpLeg.Received r = leg.rtp.received();
    int g = r.firstSpeech(answered);
    double greeting = g < 0 ? -1 : (r.at()[g] - answered) / 1e6;
    double barge = -1;
    double reply = -1;
    long heard = -1;
    long talkSent = leg.rtp.firstTalkSent;
    if (talked && talkSent > 0) {
      // AudioSocket sends silence while the agent is quiet, Asterisk's WebSocket channel sends nothing
      long[] stop = r.speechEnd(talkSent, 250_000_000L, RealtimePeer.GREETING_HZ);
      if (stop != null) {
        barge = (stop[1] - talkSent) / 1e6;
        // what was played of the greeting: its packets that reached the caller before the agent stopped
        heard = 0;
        for (int i = Math.max(0, g); g >= 0 && i <= stop[0]; i++) {
          heard += r.tone(i, RealtimePeer.GREETING_HZ) ? 20 : 0;
        }
      }
      long talkEnd = leg.rtp.talkUntil();
      int rep = r.firstSpeech(talkEnd);
      if (rep >= 0) {
        reply = (r.at()[rep] - talkEnd) / 1e6;
      }
    }
    int gaps = 0;
    long late = 0;
    List<Double> jitter = new ArrayList<>();
    for (int i = Math.max(1, g); g >= 0 && i < r.size(); i++) {
      long d = r.at()[i] - r.at()[i - 1];
      // while the agent speaks: between two packets of the same response (same tone); a transport may send
      // nothing between turns, so the quiet spell before the next response is no gap
      if (r.speech()[i] && r.speech()[i - 1] && Math.abs(r.crossings()[i] - r.crossings()[i - 1]) <= 3) {
        jitter.add(Math.abs(d - 20_000_000L) / 1e6);
        if (d > 60_000_000L) {
          gaps++;
        }
        if (d > 25_000_000L) {
          late++;
        }
      }
    }
    if (timeline != null && (hz == 300 || hz == 310)) {
      // the first two calls of each step, packet by packet, for a closer look at gaps and timestamps
      StringBuilder b = new StringBuilder("ms_after_answer,speech,zero_crossings,rtp_ts,marker\n");
      for (int i = 0; i < r.size(); i++) {
        b.append(String.format(Locale.ROOT, "%.1f,%b,%d,%d,%b%n", (r.at()[i] - answered) / 1e6, r.speech()[i],
            r.crossings()[i], r.ts()[i] & 0xffffffffL, r.mark()[i]));
      }
      Files.writeString(work.resolve(timeline + "-" + (int) hz + "hz.csv"), b.toString());
    }
    // what a phone playing the agent through a fixed 60 ms jitter buffer loses to late packets
    long concealed = g < 0 ? 0 : 20L * r.lateForJitterBuffer(g, r.size(), JITTER_BUFFER_MS);
    return new Figures(true, code, greeting, barge, reply, gaps, jitter, late, talked ? hz : -1, heard, concealed);
  }

  /** Waits until {@code deadline} (nanoTime) or the leg's end, whichever comes first; true when it ended. */
  private static boolean awaitEnd(SipPhone.Leg leg, long deadline) throws InterruptedException {
    long wait = deadline - System.nanoTime();
    if (wait <= 0) {
      return leg.ended.isDone();
    }
    try {
      leg.ended.get(wait, TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  // ---------------------------------------------------------------- database

  private Map<String, Object> callRow(String column, Object value) throws SQLException {
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement(
        "SELECT c.id, c.state, c.outcome, c.answered_at, c.ended_at, coalesce(o.amd_status, c.amd_status) AS amd_status, "
            + "o.amd_cause, c.voicemail_result, c.agent_decision, c.agent_end_reason, c.first_audio_at, c.recording_file, "
            + "c.hangup_cause, c.voicemail_file, c.voicemail_duration_ms FROM call c LEFT JOIN outbound_call o ON o.call_id = c.id WHERE c."
            + column + (column.equals("id") ? " = ?::uuid" : " = ?") + " ORDER BY c.created_at DESC LIMIT 1")) {
      ps.setString(1, String.valueOf(value));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? row(rs) : null;
      }
    }
  }

  private Map<String, Object> recordingJob(Object callId) throws SQLException {
    return recordingJob(callId, "call");
  }

  private Map<String, Object> recordingJob(Object callId, String kind) throws SQLException {
    try (Connection c = db(); PreparedStatement ps = c.prepareStatement(
        "SELECT state, step, source_file, storage, storage_key, last_error FROM recording_job WHERE call_id = ? AND kind = ?")) {
      ps.setObject(1, callId);
      ps.setString(2, kind);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? row(rs) : null;
      }
    }
  }

  private long openCalls() throws SQLException {
    try (Connection c = db(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM call WHERE ended_at IS NULL AND created_at > now() - interval '10 minutes'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Map<String, Object> row(ResultSet rs) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
      m.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
    }
    return m;
  }

  // ---------------------------------------------------------------- helpers

  interface Probe<T> {
    T get() throws Exception;
  }

  private static <T> T await(Probe<T> probe, java.util.function.Predicate<T> done, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    T last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = probe.get();
        if (last != null && done.test(last)) {
          return last;
        }
      } catch (Exception e) {
        // not yet
      }
      Thread.sleep(200);
    }
    return last;
  }

  private String nextCaller() {
    return String.format("+1777%07d", callers.incrementAndGet());
  }

  private void check(String name, boolean ok, String detail) {
    System.out.printf(Locale.ROOT, "%-4s %s: %s%n", ok ? "ok" : "FAIL", name, detail);
    if (ok) {
      passed++;
    } else {
      failures.add(name + ": " + detail);
    }
  }

  private static String ms(String what, double ms) {
    return ms < 0 ? what + ": never" : String.format(Locale.ROOT, "%s %.0f ms", what, ms).trim();
  }

  private static String json(String body, String field) {
    int at = body.indexOf("\"" + field + "\":\"");
    if (at < 0) {
      return null;
    }
    int from = at + field.length() + 4;
    return body.substring(from, body.indexOf('"', from));
  }

  private void close() {
    for (AutoCloseable c : new AutoCloseable[] {carrier, asterisk, node1, node2, peer, clock, pg}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        System.err.println("closing " + c.getClass().getSimpleName() + ": " + e);
      }
    }
    timers.shutdownNow();
  }
}
