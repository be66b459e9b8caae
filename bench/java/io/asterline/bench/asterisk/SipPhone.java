package io.asterline.bench.asterisk;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The carrier's side of the bench: a small SIP user agent over UDP on loopback that places calls into
 * Asterisk (as a trunk would, INVITE with a PCMU offer) and answers the calls Asterisk places to it (an
 * outbound call's callee). Only what a trunk does with Asterisk: INVITE / 100 / 180 / 200 / ACK, BYE,
 * CANCEL, OPTIONS, and retransmission of INVITE and of our 200 until it is acknowledged. sipp cannot tell us
 * when each RTP packet arrived and whether it carried speech, which is what a caller hears; this can.
 */
final class SipPhone implements AutoCloseable {

  /** What a callee does with an incoming call (decided from its To number). */
  interface Callee {
    /** Called after the 200 OK: the leg's RTP is running; return what the callee sends. */
    void answered(Leg leg);
  }

  /** One call leg: its dialog, its RTP and its fate. */
  final class Leg {
    final String callId;
    final boolean outgoing;
    final String number;
    final RtpLeg rtp;
    final CompletableFuture<Integer> finalResponse = new CompletableFuture<>();
    final CompletableFuture<String> ended = new CompletableFuture<>();
    volatile long invitedAt;
    volatile long answeredAt;
    volatile long endedAt;
    String localTag;
    String remoteTag;
    String fromHeader;
    String toHeader;
    String remoteTarget;
    String branch;
    int cseq = 1;
    volatile String lastResponse;
    volatile boolean acked;
    List<String> inviteVias = List.of();
    String inviteCSeq;

    Leg(String callId, boolean outgoing, String number, RtpLeg rtp) {
      this.callId = callId;
      this.outgoing = outgoing;
      this.number = number;
      this.rtp = rtp;
    }

    /** Hangs up as the caller or callee: BYE, or CANCEL before the answer. */
    void hangup() {
      if (ended.isDone()) {
        return;
      }
      if (answeredAt == 0 && outgoing) {
        send(request("CANCEL", cseq, branch, this));
        return;
      }
      cseq++;
      send(request("BYE", cseq, newBranch(), this));
      end("local BYE");
    }

    void end(String why) {
      if (endedAt == 0) {
        endedAt = System.nanoTime();
      }
      rtp.stop();
      legs.remove(callId);
      ended.complete(why);
    }

    boolean isUp() {
      return answeredAt != 0 && !ended.isDone();
    }
  }

  private final DatagramChannel sip;
  private final InetSocketAddress asterisk;
  private final RtpLeg.Clock clock;
  private final Function<String, Callee> callees;
  private final Map<String, Leg> legs = new ConcurrentHashMap<>();
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "sip-timers"));
  private final Thread reader;
  private final int port;
  private volatile boolean open = true;

  SipPhone(int port, InetSocketAddress asterisk, RtpLeg.Clock clock, Function<String, Callee> callees) throws IOException {
    this.sip = DatagramChannel.open();
    sip.setOption(StandardSocketOptions.SO_RCVBUF, 4 << 20);
    sip.setOption(StandardSocketOptions.SO_SNDBUF, 4 << 20);
    sip.bind(new InetSocketAddress("127.0.0.1", port));
    this.port = ((InetSocketAddress) sip.getLocalAddress()).getPort();
    this.asterisk = asterisk;
    this.clock = clock;
    this.callees = callees;
    this.reader = new Thread(this::read, "sip-reader");
    reader.setDaemon(true);
    reader.start();
  }

  int port() {
    return port;
  }

  /** Places a call to the DID as the carrier would; the leg's futures say what became of it. */
  Leg call(String did, String from) throws IOException {
    RtpLeg rtp = new RtpLeg(clock);
    Leg leg = new Leg(Long.toHexString(ThreadLocalRandom.current().nextLong()) + "@bench", true, did, rtp);
    leg.localTag = Long.toHexString(ThreadLocalRandom.current().nextLong());
    leg.fromHeader = "<sip:" + from + "@127.0.0.1:" + port + ">;tag=" + leg.localTag;
    leg.toHeader = "<sip:" + did + "@" + host(asterisk) + ">";
    leg.remoteTarget = "sip:" + did + "@" + host(asterisk);
    leg.branch = newBranch();
    legs.put(leg.callId, leg);
    leg.invitedAt = System.nanoTime();
    String invite = request("INVITE", 1, leg.branch, leg, sdp(rtp.port()));
    send(invite);
    retransmitInvite(leg, invite, 500);
    return leg;
  }

  private void retransmitInvite(Leg leg, String invite, long delayMs) {
    timers.schedule(() -> {
      if (leg.lastResponse == null && !leg.ended.isDone() && delayMs <= 4000) {
        send(invite);
        retransmitInvite(leg, invite, delayMs * 2);
      } else if (leg.lastResponse == null && !leg.ended.isDone()) {
        leg.finalResponse.complete(408);
        leg.end("no answer to INVITE");
      }
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  private void read() {
    ByteBuffer buf = ByteBuffer.allocate(65536);
    while (open) {
      try {
        buf.clear();
        InetSocketAddress from = (InetSocketAddress) sip.receive(buf);
        buf.flip();
        String text = StandardCharsets.UTF_8.decode(buf).toString();
        Message m = Message.parse(text);
        if (m == null) {
          continue;
        }
        if (m.isResponse()) {
          onResponse(m);
        } else {
          onRequest(m, from);
        }
      } catch (IOException e) {
        if (open) {
          System.err.println("sip: " + e);
        }
      } catch (RuntimeException e) {
        System.err.println("sip: " + e);
        e.printStackTrace();
      }
    }
  }

  private void onResponse(Message m) throws IOException {
    Leg leg = legs.get(m.header("call-id"));
    if (leg == null) {
      return;
    }
    String method = m.header("cseq").split("\\s+")[1];
    int code = m.status;
    if (!method.equals("INVITE")) {
      return;
    }
    leg.lastResponse = m.firstLine;
    if (code < 200) {
      return;
    }
    leg.toHeader = m.header("to");
    leg.remoteTag = tag(leg.toHeader);
    if (code < 300) {
      String contact = m.header("contact");
      if (contact != null) {
        leg.remoteTarget = uri(contact);
      }
      if (leg.answeredAt == 0) {
        leg.answeredAt = System.nanoTime();
        InetSocketAddress media = sdpAddress(m.body);
        leg.rtp.start(media);
        leg.finalResponse.complete(code);
      }
      send(request("ACK", 1, newBranch(), leg));
    } else {
      // ACK for a failure is part of the INVITE transaction: same branch
      send(request("ACK", 1, leg.branch, leg));
      leg.finalResponse.complete(code);
      leg.end("final response " + code);
    }
  }

  private void onRequest(Message m, InetSocketAddress from) throws IOException {
    String callId = m.header("call-id");
    Leg leg = legs.get(callId);
    switch (m.method) {
      case "INVITE" -> {
        if (leg != null) {
          // a retransmission, or a re-INVITE: answer with our SDP again
          if (leg.answeredAt != 0) {
            send(response(m, 200, "OK", leg.localTag, sdp(leg.rtp.port())));
          }
          return;
        }
        String number = user(m.requestUri);
        RtpLeg rtp = new RtpLeg(clock);
        Leg in = new Leg(callId, false, number, rtp);
        in.localTag = Long.toHexString(ThreadLocalRandom.current().nextLong());
        in.fromHeader = m.header("to") + ";tag=" + in.localTag;
        in.toHeader = m.header("from");
        in.remoteTag = tag(in.toHeader);
        in.remoteTarget = uri(m.header("contact"));
        in.invitedAt = System.nanoTime();
        legs.put(callId, in);
        send(response(m, 100, "Trying", null, null));
        send(response(m, 180, "Ringing", in.localTag, null));
        Callee callee = callees.apply(number);
        InetSocketAddress media = sdpAddress(m.body);
        timers.schedule(() -> {
          if (in.ended.isDone()) {
            return;
          }
          in.answeredAt = System.nanoTime();
          String ok = response(m, 200, "OK", in.localTag, sdp(rtp.port()));
          send(ok);
          retransmitOk(in, ok, 500);
          rtp.start(media);
          in.finalResponse.complete(200);
          callee.answered(in);
        }, 300, TimeUnit.MILLISECONDS);
      }
      case "ACK" -> {
        if (leg != null) {
          leg.acked = true;
        }
      }
      case "BYE" -> {
        send(response(m, 200, "OK", null, null));
        if (leg != null) {
          leg.end("remote BYE");
        }
      }
      case "CANCEL" -> {
        send(response(m, 200, "OK", null, null));
        if (leg != null && leg.answeredAt == 0) {
          leg.end("remote CANCEL");
        }
      }
      default -> send(response(m, 200, "OK", null, null));
    }
  }

  private void retransmitOk(Leg leg, String ok, long delayMs) {
    timers.schedule(() -> {
      if (!leg.acked && !leg.ended.isDone() && delayMs <= 4000) {
        send(ok);
        retransmitOk(leg, ok, Math.min(delayMs * 2, 4000));
      }
    }, delayMs, TimeUnit.MILLISECONDS);
  }

  private String request(String method, int cseq, String branch, Leg leg) {
    return request(method, cseq, branch, leg, null);
  }

  private String request(String method, int cseq, String branch, Leg leg, String sdp) {
    StringBuilder b = new StringBuilder(512);
    String uri = method.equals("INVITE") || method.equals("CANCEL") || (method.equals("ACK") && leg.answeredAt == 0)
        ? "sip:" + leg.number + "@" + host(asterisk) : leg.remoteTarget;
    b.append(method).append(' ').append(uri).append(" SIP/2.0\r\n");
    b.append("Via: SIP/2.0/UDP 127.0.0.1:").append(port).append(";rport;branch=").append(branch).append("\r\n");
    b.append("Max-Forwards: 70\r\n");
    b.append("From: ").append(leg.fromHeader).append("\r\n");
    b.append("To: ").append(leg.toHeader).append("\r\n");
    b.append("Call-ID: ").append(leg.callId).append("\r\n");
    b.append("CSeq: ").append(cseq).append(' ').append(method.equals("CANCEL") ? "CANCEL" : method).append("\r\n");
    b.append("Contact: <sip:bench@127.0.0.1:").append(port).append(">\r\n");
    b.append("User-Agent: asterline-bench\r\n");
    if (sdp != null) {
      b.append("Content-Type: application/sdp\r\n");
      b.append("Content-Length: ").append(sdp.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(sdp);
    } else {
      b.append("Content-Length: 0\r\n\r\n");
    }
    return b.toString();
  }

  private String response(Message req, int code, String reason, String toTag, String sdp) {
    StringBuilder b = new StringBuilder(512);
    b.append("SIP/2.0 ").append(code).append(' ').append(reason).append("\r\n");
    for (String via : req.all("via")) {
      b.append("Via: ").append(via).append("\r\n");
    }
    b.append("From: ").append(req.header("from")).append("\r\n");
    String to = req.header("to");
    if (toTag != null && tag(to) == null) {
      to = to + ";tag=" + toTag;
    }
    b.append("To: ").append(to).append("\r\n");
    b.append("Call-ID: ").append(req.header("call-id")).append("\r\n");
    b.append("CSeq: ").append(req.header("cseq")).append("\r\n");
    if (code >= 180 && code < 300) {
      b.append("Contact: <sip:bench@127.0.0.1:").append(port).append(">\r\n");
    }
    if (sdp != null) {
      b.append("Content-Type: application/sdp\r\n");
      b.append("Content-Length: ").append(sdp.getBytes(StandardCharsets.UTF_8).length).append("\r\n\r\n").append(sdp);
    } else {
      b.append("Content-Length: 0\r\n\r\n");
    }
    return b.toString();
  }

  private static String sdp(int rtpPort) {
    long id = System.currentTimeMillis();
    return "v=0\r\n"
        + "o=bench " + id + " " + id + " IN IP4 127.0.0.1\r\n"
        + "s=bench\r\n"
        + "c=IN IP4 127.0.0.1\r\n"
        + "t=0 0\r\n"
        + "m=audio " + rtpPort + " RTP/AVP 0 101\r\n"
        + "a=rtpmap:0 PCMU/8000\r\n"
        + "a=rtpmap:101 telephone-event/8000\r\n"
        + "a=fmtp:101 0-16\r\n"
        + "a=ptime:20\r\n"
        + "a=sendrecv\r\n";
  }

  static InetSocketAddress sdpAddress(String body) {
    String host = "127.0.0.1";
    int port = -1;
    for (String line : body.split("\r?\n")) {
      if (line.startsWith("c=IN IP4 ")) {
        host = line.substring(9).trim();
      } else if (line.startsWith("m=audio ")) {
        port = Integer.parseInt(line.split("\\s+")[1]);
      }
    }
    if (port < 0) {
      throw new IllegalStateException("no audio in SDP: " + body);
    }
    return new InetSocketAddress(host, port);
  }

  private void send(String message) {
    try {
      synchronized (sip) {
        sip.send(ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), asterisk);
      }
    } catch (IOException e) {
      System.err.println("sip send: " + e);
    }
  }

  private static String newBranch() {
    return "z9hG4bK" + Long.toHexString(ThreadLocalRandom.current().nextLong());
  }

  private static String host(InetSocketAddress a) {
    return a.getHostString() + ":" + a.getPort();
  }

  static String tag(String header) {
    if (header == null) {
      return null;
    }
    int at = header.indexOf(";tag=");
    if (at < 0) {
      return null;
    }
    String t = header.substring(at + 5);
    int end = t.indexOf(';');
    return end < 0 ? t.trim() : t.substring(0, end).trim();
  }

  static String uri(String header) {
    int lt = header.indexOf('<');
    int gt = header.indexOf('>');
    return lt >= 0 && gt > lt ? header.substring(lt + 1, gt) : header.split(";")[0].trim();
  }

  static String user(String uri) {
    String u = uri.startsWith("sip:") ? uri.substring(4) : uri;
    int at = u.indexOf('@');
    return at < 0 ? u : u.substring(0, at);
  }

  int activeLegs() {
    return legs.size();
  }

  @Override
  public void close() throws IOException {
    for (Leg leg : new ArrayList<>(legs.values())) {
      leg.hangup();
    }
    open = false;
    sip.close();
    timers.shutdownNow();
  }

  /** A parsed SIP message; headers by lower-case full name (compact forms expanded). */
  static final class Message {
    String firstLine;
    String method;
    String requestUri;
    int status;
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    String body = "";

    boolean isResponse() {
      return method == null;
    }

    String header(String name) {
      List<String> v = headers.get(name);
      return v == null || v.isEmpty() ? null : v.get(0);
    }

    List<String> all(String name) {
      return headers.getOrDefault(name, List.of());
    }

    static Message parse(String text) {
      int split = text.indexOf("\r\n\r\n");
      String head = split < 0 ? text : text.substring(0, split);
      Message m = new Message();
      m.body = split < 0 ? "" : text.substring(split + 4);
      String[] lines = head.split("\r\n");
      if (lines.length == 0 || lines[0].isBlank()) {
        return null;
      }
      m.firstLine = lines[0];
      String[] first = lines[0].split(" ", 3);
      if (first[0].startsWith("SIP/2.0")) {
        m.status = Integer.parseInt(first[1]);
      } else {
        m.method = first[0];
        m.requestUri = first[1];
      }
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon < 0) {
          continue;
        }
        String name = expand(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT));
        String value = lines[i].substring(colon + 1).trim();
        if (name.equals("via")) {
          for (String v : value.split(",")) {
            m.headers.computeIfAbsent(name, k -> new ArrayList<>()).add(v.trim());
          }
        } else {
          m.headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
      }
      return m;
    }

    private static String expand(String name) {
      return switch (name) {
        case "v" -> "via";
        case "f" -> "from";
        case "t" -> "to";
        case "i" -> "call-id";
        case "m" -> "contact";
        case "l" -> "content-length";
        case "c" -> "content-type";
        default -> name;
      };
    }
  }
}
