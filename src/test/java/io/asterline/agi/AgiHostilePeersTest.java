package io.asterline.agi;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The FastAGI server against peers that are not a well-behaved Asterisk, over real sockets: slow heads, lines
 * without end, garbage, too many connections from one host, a peer that stops answering. Every Asterisk-side
 * request here is written exactly as res_agi writes it (FakeAsterisk); the attackers write raw bytes. Timeouts are
 * scaled down from the production defaults (read 5 s, request 3 s; the attack that was found trickled a byte
 * every 3 s) so the class runs in seconds.
 */
class AgiHostilePeersTest {

  private static final int READ_TIMEOUT_MS = 1500;
  private static final int REQUEST_TIMEOUT_MS = 2000;
  private static final int PER_SOURCE = 50;

  private static AgiFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new AgiFixture(Map.of(
        "agi.read-timeout", READ_TIMEOUT_MS + "ms",
        "agi.request-timeout", REQUEST_TIMEOUT_MS + "ms",
        "agi.max-connections-per-source", Integer.toString(PER_SOURCE)));
    long tenant = fx.tenant("hostile", 1000);
    fx.did(tenant, "+15551230000");
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void fiveHundredSlowHeadsDoNotKeepRealRequestsFromBeingAnswered() throws Exception {
    // 500 connections from 250 addresses (two each, so the per-source limit is not what saves the day), each
    // sending one header byte per second, below the read timeout, and reconnecting whenever it is closed:
    // before, each held one of the 500 pool threads and real requests were closed unanswered
    AtomicBoolean attacking = new AtomicBoolean(true);
    ConcurrentLinkedQueue<Socket> open = new ConcurrentLinkedQueue<>();
    ScheduledExecutorService trickle = Executors.newScheduledThreadPool(2);
    List<String> statuses = new ArrayList<>();
    try {
      for (int i = 0; i < 500; i++) {
        String from = "127.0.1." + (1 + i / 2);
        trickle.execute(() -> slowloris(from, trickle, attacking, open));
      }
      Thread.sleep(300);
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REQUEST_TIMEOUT_MS + 1500L);
      while (System.nanoTime() < until) {
        FakeAsterisk.Exchange x = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15550000000"));
        statuses.add(x.commands().isEmpty() ? "(closed unanswered)" : x.status());
      }
      assertThat(open.size()).as("attackers connected at the end").isGreaterThan(400);
    } finally {
      attacking.set(false);
      trickle.shutdownNow();
      trickle.awaitTermination(5, TimeUnit.SECONDS);
      for (Socket s : open) {
        s.close();
      }
    }
    assertThat(statuses).hasSizeGreaterThan(10).allMatch("UNKNOWN_DID"::equals);
  }

  private static void slowloris(String from, ScheduledExecutorService trickle, AtomicBoolean attacking,
      ConcurrentLinkedQueue<Socket> open) {
    if (!attacking.get()) {
      return;
    }
    Socket s = new Socket();
    try {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress("127.0.0.1", fx.agi.port()), 2000);
      open.add(s);
      byte[] head = "agi_network: yes\n".getBytes(StandardCharsets.US_ASCII);
      int[] next = {0};
      Runnable[] step = new Runnable[1];
      step[0] = () -> {
        try {
          s.getOutputStream().write(head[next[0]++ % head.length]);
          trickle.schedule(step[0], 1, TimeUnit.SECONDS);
        } catch (IOException e) {
          // closed by the server: come back, as a slowloris does
          open.remove(s);
          closeQuietly(s);
          trickle.execute(() -> slowloris(from, trickle, attacking, open));
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
          closeQuietly(s);
        }
      };
      step[0].run();
    } catch (IOException | java.util.concurrent.RejectedExecutionException e) {
      closeQuietly(s);
    }
  }

  @Test
  void aHostOverThePerSourceLimitIsRefusedWhileOthersAreServed() throws Exception {
    List<Socket> held = new ArrayList<>();
    ListAppender<ILoggingEvent> logs = capture();
    try {
      for (int i = 0; i < PER_SOURCE; i++) {
        Socket s = new Socket();
        s.bind(new InetSocketAddress("127.0.0.3", 0));
        s.connect(new InetSocketAddress("127.0.0.1", fx.agi.port()), 2000);
        held.add(s);
      }
      Thread.sleep(100);
      // a complete request from the same host, one over the limit, and a few more: closed without a script
      for (int i = 0; i < 5; i++) {
        FakeAsterisk.Exchange over = fx.asterisk.send(FakeAsterisk.request("inbound").args("+15550000000")
            .from("127.0.0.3"));
        assertThat(over.commands()).as("refused before any script").isEmpty();
        assertThat(over.closedByServer()).isTrue();
      }
      // another host is not affected
      assertThat(fx.inbound("+15550000000").status()).isEqualTo("UNKNOWN_DID");
    } finally {
      release(logs);
      for (Socket s : held) {
        s.close();
      }
    }
    // refusals are logged once per address and minute, the rest counted
    assertThat(logs.list).filteredOn(e -> e.getFormattedMessage().contains("refused a connection from 127.0.0.3"))
        .hasSize(1);
  }

  @Test
  void aHeadNotCompleteWithinTheRequestTimeoutIsClosed() throws Exception {
    try (Socket s = connect("127.0.0.4")) {
      long start = System.nanoTime();
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      // a byte every 300 ms: each read alone is well within the read timeout, the whole head never is
      int closedAfter = -1;
      for (int i = 0; i < 40 && closedAfter < 0; i++) {
        try {
          out.write('a');
          s.setSoTimeout(300);
          if (in.read() < 0) {
            closedAfter = (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          }
        } catch (SocketTimeoutException quiet) {
          // still open
        } catch (SocketException reset) {
          closedAfter = (int) TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
      }
      assertThat(closedAfter).as("closed by the server (ms after connect)").isPositive()
          .isLessThan(REQUEST_TIMEOUT_MS + READ_TIMEOUT_MS);
    }
  }

  @Test
  void aLineWithoutEndIsRefusedAfterABoundedNumberOfBytes() throws Exception {
    try (Socket s = connect("127.0.0.5")) {
      OutputStream out = s.getOutputStream();
      out.write("agi_network: yes\nagi_network_script: inbound\nagi_request: ".getBytes(StandardCharsets.US_ASCII));
      long written = writeUntilRefused(out, 64L << 20);
      // the server stops reading at 8 KiB: what the kernel buffers on both sides is all that gets through
      assertThat(written).as("bytes accepted of a 64 MB line").isLessThan(16L << 20);
      assertThat(readAll(s)).isIn("SET VARIABLE ASTERLINE_STATUS ERROR\n", "");
    }
  }

  @Test
  void aReplyLineWithoutEndDuringAScriptIsRefusedAfterABoundedNumberOfBytes() throws Exception {
    try (Socket s = connect("127.0.0.6")) {
      OutputStream out = s.getOutputStream();
      out.write(head("inbound", "+15550000000").getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(10_000);
      String command = readLine(s.getInputStream());
      assertThat(command).startsWith("EXEC \"MSet\"");
      out.write("200 result=0 (".getBytes(StandardCharsets.US_ASCII));
      long written = writeUntilRefused(out, 64L << 20);
      assertThat(written).as("bytes accepted of a 64 MB reply").isLessThan(16L << 20);
    }
  }

  @Test
  void garbageIsAnsweredErrorWithoutAStackTrace() throws Exception {
    ListAppender<ILoggingEvent> logs = capture();
    try {
      try (Socket s = connect("127.0.0.7")) {
        s.getOutputStream().write("GET / HTTP/1.1\r\nHost: asterline\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(10_000);
        assertThat(readAll(s)).isEqualTo("SET VARIABLE ASTERLINE_STATUS ERROR\n");
      }
      // agi_ lines, but no script named: the unknown-script answer, as for a typo in the dialplan
      try (Socket s = connect("127.0.0.7")) {
        s.getOutputStream().write("agi_network: yes\nagi_channel: PJSIP/x-1\n\n".getBytes(StandardCharsets.US_ASCII));
        s.setSoTimeout(10_000);
        String command = readLine(s.getInputStream());
        assertThat(command).startsWith("EXEC \"MSet\"").endsWith("ASTERLINE_STATUS=ERROR\"");
        s.getOutputStream().write("200 result=0\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readAll(s)).isEmpty();
      }
    } finally {
      release(logs);
    }
    assertThat(logs.list).noneMatch(e -> e.getThrowableProxy() != null);
    assertThat(logs.list).filteredOn(e -> e.getLevel() == Level.ERROR).allMatch(e -> e.getThrowableProxy() == null);
  }

  @Test
  void aPeerThatStopsAnsweringFreesItsThreadWithinTheReadTimeout() throws Exception {
    try (Socket s = connect("127.0.0.8")) {
      s.getOutputStream().write(head("inbound", "+15550000000").getBytes(StandardCharsets.US_ASCII));
      s.setSoTimeout(4 * READ_TIMEOUT_MS);
      InputStream in = s.getInputStream();
      assertThat(readLine(in)).startsWith("EXEC \"MSet\"");
      long asked = System.nanoTime();
      // silent from here on: the server gives up after one read timeout and says nothing more (before, the
      // library's own SET VARIABLE AJ_AGISTATUS followed and waited a second read timeout)
      String more = readAll(s);
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
      assertThat(more).isEmpty();
      assertThat(waited).isLessThan(READ_TIMEOUT_MS + READ_TIMEOUT_MS / 2);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static Socket connect(String from) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(from, 0));
    s.setSendBufferSize(64 * 1024);
    s.connect(new InetSocketAddress("127.0.0.1", fx.agi.port()), 2000);
    return s;
  }

  /** A request head as res_agi writes it. */
  private static String head(String script, String arg) {
    return "agi_network: yes\nagi_network_script: " + script + "\nagi_request: agi://127.0.0.1/" + script
        + "\nagi_channel: PJSIP/trunk-00000001\nagi_uniqueid: 1763700000.9\nagi_callerid: 15557654321\n"
        + "agi_extension: s\nagi_arg_1: " + arg + "\n\n";
  }

  /** Writes 'x' until the peer refuses or {@code max} bytes went out; returns how many the kernel took. */
  private static long writeUntilRefused(OutputStream out, long max) {
    byte[] chunk = new byte[64 * 1024];
    java.util.Arrays.fill(chunk, (byte) 'x');
    long written = 0;
    try {
      while (written < max) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException refused) {
      // reset or broken pipe: the server closed
    }
    return written;
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      sb.append((char) c);
    }
    return sb.toString();
  }

  /** Everything until the server closes (a reset counts as closed). */
  private static String readAll(Socket s) throws IOException {
    StringBuilder sb = new StringBuilder();
    InputStream in = s.getInputStream();
    try {
      int c;
      while ((c = in.read()) >= 0) {
        sb.append((char) c);
      }
    } catch (SocketException reset) {
      // closed
    }
    return sb.toString();
  }

  private static ListAppender<ILoggingEvent> capture() {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    return logs;
  }

  private static void release(ListAppender<ILoggingEvent> logs) {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // gone
    }
  }
}
