package io.asterline.audiosocket;

import io.asterline.agi.AgiStatus;
import io.asterline.agi.AgiVariables;
import io.asterline.agi.ResAgi;
import io.asterline.call.CallOutcome;
import io.asterline.call.Route;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code asterline call simulate}: checks a deployment without a phone by doing what Asterisk and the shipped
 * dialplan do for an inbound call: the FastAGI {@code inbound} request for the DID, the AudioSocket leg to the
 * address the script set (streaming a WAV at real time in 20 ms frames and saving what the agent says), then
 * {@code after-agent} when the agent ends the leg, and {@code call-end} as the hangup handler does, so the call
 * is ended and its admission slot released. Every FastAGI command is answered as res_agi answers it
 * ({@link ResAgi}), on one channel whose variables last across the three requests.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Act as Asterisk for one inbound call: FastAGI inbound, AudioSocket, after-agent and call-end; "
        + "save the agent's audio.")
public final class SimulateCommand implements Callable<Integer> {

  @Option(names = "--did", required = true, paramLabel = "NUMBER", description = "the dialled number (E.164), e.g. +4930123456")
  String did;

  @Option(names = "--audio", paramLabel = "FILE", description = "caller audio: WAV, 16-bit PCM, mono, 8000 Hz (default: silence)")
  Path audio;

  @Option(names = "--save", paramLabel = "FILE", description = "write what the caller heard (8 kHz WAV) here")
  Path save;

  @Option(names = "--agi", paramLabel = "URL", defaultValue = "agi://127.0.0.1:4573/inbound",
      description = "the FastAGI inbound script (default: ${DEFAULT-VALUE})")
  String agi;

  @Option(names = "--caller-id", paramLabel = "NUMBER", defaultValue = "+15550100000",
      description = "caller number presented (default: ${DEFAULT-VALUE})")
  String callerId;

  @Option(names = "--audiosocket", paramLabel = "HOST:PORT",
      description = "connect here instead of the ASTERLINE_AUDIOSOCKET the script set (e.g. through a tunnel)")
  String audioSocketOverride;

  @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "60",
      description = "hang up as the caller after this many seconds unless the agent ends first (default: ${DEFAULT-VALUE})")
  int durationSeconds;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    byte[] caller = new byte[0];
    if (audio != null) {
      try {
        caller = Wav.readSlin8k(audio);
      } catch (IllegalArgumentException | IOException e) {
        // a missing file's exception message is its name alone ("--audio x.wav" said nothing)
        err.println("--audio " + (e instanceof java.nio.file.NoSuchFileException ? audio + ": no such file"
            : e instanceof java.nio.file.AccessDeniedException ? audio + ": permission denied" : e.getMessage()));
        err.flush();
        return 2;
      }
    }
    if (durationSeconds < 1 || durationSeconds > 3600) {
      err.println("--duration: expected 1 to 3600 seconds, got " + durationSeconds);
      err.flush();
      return 2;
    }
    URI agiUri;
    try {
      agiUri = URI.create(agi);
      if (!"agi".equals(agiUri.getScheme()) || agiUri.getHost() == null) {
        throw new IllegalArgumentException("not an agi:// URL");
      }
    } catch (IllegalArgumentException e) {
      err.println("--agi: expected a URL such as agi://127.0.0.1:4573/inbound, got '" + agi + "'");
      err.flush();
      return 2;
    }

    Asterisk asterisk = new Asterisk(agiUri);
    Map<String, String> vars;
    try {
      vars = asterisk.agi("inbound", did);
    } catch (IOException e) {
      err.println("FastAGI " + agiUri.getHost() + ":" + port(agiUri) + " failed: " + e.getMessage()
          + " (Asterisk would set AGISTATUS=FAILURE and run the failure context)");
      err.flush();
      return 1;
    }
    out.println("FastAGI inbound set: " + vars);
    out.flush();
    String status = vars.getOrDefault(AgiVariables.STATUS, "");
    String callId = vars.get("ASTERLINE_CALL_ID");
    boolean admitted = (status.equals(AgiStatus.OK.name()) || status.equals(AgiStatus.DEGRADED.name())) && callId != null
        && !Route.REJECT.dbValue().equals(vars.get(AgiVariables.ROUTE));
    String address = audioSocketOverride != null ? audioSocketOverride : vars.get("ASTERLINE_AUDIOSOCKET");
    if (!admitted || !Route.AGENT.dbValue().equals(vars.get("ASTERLINE_ROUTE")) || address == null) {
      err.println("the inbound script did not route the call to the agent (ASTERLINE_STATUS="
          + (status.isEmpty() ? "unset" : status) + ", ASTERLINE_ROUTE=" + vars.getOrDefault("ASTERLINE_ROUTE", "unset")
          + "); Asterisk would follow the dialplan's " + (admitted ? "route" : "failure path"));
      err.flush();
      if (admitted) {
        // the dialplan pushed the call-end hangup handler: the call holds a slot until it runs
        callEnd(asterisk, callId, "", out, err);
      }
      return 1;
    }
    UUID id;
    InetSocketAddress target;
    try {
      id = UUID.fromString(callId);
      target = hostPort(address);
    } catch (IllegalArgumentException e) {
      err.println("unusable AudioSocket target from the script: " + e.getMessage());
      err.flush();
      callEnd(asterisk, callId, "", out, err);
      return 1;
    }
    // the dialplan answers the channel before it dials the agent
    asterisk.channel.answered();
    Result r;
    try {
      r = talk(target, id, caller, Duration.ofSeconds(durationSeconds));
    } catch (Unreachable e) {
      // Dial(AudioSocket/...) could not connect: DIALSTATUS=CHANUNAVAIL, the dialplan's failure route
      err.println("AudioSocket " + address + " failed: " + e.getMessage()
          + " (Dial would set DIALSTATUS=CHANUNAVAIL and the call would take the failure route)");
      err.flush();
      callEnd(asterisk, callId, CallOutcome.CHANUNAVAIL.dbValue(), out, err);
      return 1;
    } catch (IOException e) {
      // the leg was up: Asterisk hangs the AudioSocket channel up and the dialplan goes on
      err.println("AudioSocket " + address + " broke off: " + e.getMessage());
      err.flush();
      r = new Result("the connection broke: " + e.getMessage(), false, 0, -1, 0, new byte[0]);
    }
    if (save != null) {
      Wav.writeSlin8k(save, r.heard);
      out.println("saved " + r.heard.length / 16 + " ms of what the caller heard to " + save);
    }
    out.println("call " + id + ": " + r.ending + "; " + r.frames + " frames received"
        + (r.firstAudioMs >= 0 ? ", first agent audio after " + r.firstAudioMs + " ms" : ", the agent never spoke")
        + (r.agentAudioMs > 0 ? ", " + r.agentAudioMs + " ms of agent speech" : ""));
    out.flush();
    if (!r.callerHungUp) {
      // Dial(...,g) goes on in the dialplan when the agent's leg ends: the after-agent script
      try {
        Map<String, String> next = asterisk.agi("after-agent", callId);
        out.println("FastAGI after-agent: ASTERLINE_STATUS=" + next.getOrDefault(AgiVariables.STATUS, "unset")
            + ", ASTERLINE_NEXT=" + next.getOrDefault("ASTERLINE_NEXT", "unset")
            + (next.get("ASTERLINE_TRANSFER_TO") != null ? " " + next.get("ASTERLINE_TRANSFER_TO") : ""));
      } catch (IOException e) {
        err.println("FastAGI after-agent failed: " + e.getMessage());
      }
    }
    boolean ended = callEnd(asterisk, callId, CallOutcome.ANSWER.dbValue(), out, err);
    return r.firstAudioMs >= 0 && ended ? 0 : 1;
  }

  /**
   * The hangup handler [asterline-call-end]: call-end with the call id, DIALSTATUS, HANGUPCAUSE (16, normal
   * clearing), MIXMONITOR_FILENAME (empty: nothing is recorded here) and the ASTERLINE_AUDIOSOCKET the call was
   * given. True when the call is ended now.
   */
  private boolean callEnd(Asterisk asterisk, String callId, String dialStatus, PrintWriter out,
      PrintWriter err) {
    try {
      Map<String, String> v = asterisk.agi("call-end", callId, dialStatus, "16", "",
          asterisk.channel.variables().getOrDefault("ASTERLINE_AUDIOSOCKET", ""));
      String status = v.getOrDefault(AgiVariables.STATUS, "unset");
      out.println("FastAGI call-end: ASTERLINE_STATUS=" + status);
      out.flush();
      return status.equals(AgiStatus.OK.name()) || status.equals(AgiStatus.DEGRADED.name());
    } catch (IOException e) {
      err.println("FastAGI call-end failed: " + e.getMessage() + " (the call keeps its slot until"
          + " admission.max-call-duration)");
      err.flush();
      return false;
    }
  }

  /**
   * One simulated channel, as Asterisk has it across the AGI requests of a call: its agi_* environment and its
   * variables (what inbound sets, call-end can read), each command answered as res_agi does ({@link ResAgi}).
   */
  private final class Asterisk {
    final ResAgi channel = new ResAgi(new LinkedHashMap<>());
    final String channelName = "PJSIP/simulate-" + Long.toHexString(System.nanoTime() & 0xffffffL);
    final String uniqueId = (System.currentTimeMillis() / 1000) + "." + (System.nanoTime() % 1000);
    final URI inbound;

    Asterisk(URI inbound) {
      this.inbound = inbound;
    }

    /** Runs AGI(agi://host:port/script,args...) and returns the channel's variables afterwards. */
    Map<String, String> agi(String script, String... args) throws IOException {
      // the dialplan's other scripts live beside inbound: agi://host:port/call-end
      URI uri = script.equals("inbound") ? inbound : inbound.resolve(script);
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(uri.getHost(), port(uri)), 2000);
        s.setSoTimeout(10_000);
        String path = uri.getRawPath() == null || uri.getRawPath().length() <= 1 ? "" : uri.getRawPath().substring(1);
        if (uri.getRawQuery() != null) {
          path += "?" + uri.getRawQuery();
        }
        StringBuilder req = new StringBuilder();
        line(req, "agi_network", "yes");
        if (!path.isEmpty()) {
          line(req, "agi_network_script", path);
        }
        line(req, "agi_request", uri.toString());
        line(req, "agi_channel", channelName);
        line(req, "agi_language", "en");
        line(req, "agi_type", "PJSIP");
        line(req, "agi_uniqueid", uniqueId);
        line(req, "agi_version", "22.10.1-asterline-simulate");
        line(req, "agi_callerid", callerId);
        line(req, "agi_calleridname", "asterline simulate");
        line(req, "agi_callingpres", "0");
        line(req, "agi_callingani2", "0");
        line(req, "agi_callington", "0");
        line(req, "agi_callingtns", "0");
        line(req, "agi_dnid", did);
        line(req, "agi_rdnis", "unknown");
        line(req, "agi_context", script.equals("inbound") ? "from-trunk" : "asterline-" + script);
        line(req, "agi_extension", "s");
        line(req, "agi_priority", script.equals("inbound") ? "4" : script.equals("after-agent") ? "2" : "1");
        line(req, "agi_enhanced", "0.0");
        line(req, "agi_accountcode", "");
        line(req, "agi_threadid", Long.toString(Thread.currentThread().getId()));
        for (int i = 0; i < args.length; i++) {
          // res_agi sends every argument, empty ones included
          line(req, "agi_arg_" + (i + 1), args[i]);
        }
        req.append('\n');
        OutputStream o = s.getOutputStream();
        o.write(req.toString().getBytes(StandardCharsets.UTF_8));
        o.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        for (String cmd; (cmd = in.readLine()) != null; ) {
          o.write((channel.reply(cmd) + "\n").getBytes(StandardCharsets.UTF_8));
          o.flush();
        }
      } catch (SocketTimeoutException e) {
        throw new IOException("no command and no close within 10 s", e);
      }
      return channel.variables();
    }
  }

  private record Result(String ending, boolean callerHungUp, int frames, long firstAudioMs, long agentAudioMs,
      byte[] heard) {}

  /** The AudioSocket leg: caller frames every 20 ms from a steady clock while reading everything sent back. */
  private static Result talk(InetSocketAddress target, UUID id, byte[] caller, Duration duration) throws IOException {
    ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "simulate-caller");
      t.setDaemon(true);
      return t;
    });
    ByteArrayOutputStream heard = new ByteArrayOutputStream();
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      try {
        s.connect(target, 2000);
      } catch (IOException e) {
        throw new Unreachable(target + ": " + e.getMessage());
      }
      OutputStream o = s.getOutputStream();
      byte[] uuid = new byte[19];
      uuid[0] = 0x01;
      uuid[2] = 16;
      java.nio.ByteBuffer.wrap(uuid, 3, 16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
      o.write(uuid);
      o.flush();
      long start = System.nanoTime();
      AtomicInteger sent = new AtomicInteger();
      clock.scheduleAtFixedRate(() -> {
        byte[] frame = new byte[3 + 320];
        frame[0] = 0x10;
        frame[1] = 0x01;
        frame[2] = 0x40;
        int off = sent.getAndIncrement() * 320;
        if (off < caller.length) {
          System.arraycopy(caller, off, frame, 3, Math.min(320, caller.length - off));
        }
        try {
          synchronized (o) {
            o.write(frame);
            o.flush();
          }
        } catch (IOException e) {
          // the server closed: the reader sees it
        }
      }, 20, 20, TimeUnit.MILLISECONDS);
      s.setSoTimeout(200);
      DataInputStream in = new DataInputStream(s.getInputStream());
      long end = start + duration.toNanos();
      int frames = 0;
      long firstAudio = -1;
      long agentSamples = 0;
      while (true) {
        if (System.nanoTime() > end) {
          return new Result("hung up as the caller after " + duration.toSeconds() + " s", true, frames, firstAudio,
              agentSamples / 8, heard.toByteArray());
        }
        int kind;
        try {
          kind = in.read();
        } catch (SocketTimeoutException e) {
          continue;
        }
        if (kind < 0) {
          return new Result("the server closed the connection without 0x00", false, frames, firstAudio, agentSamples / 8,
              heard.toByteArray());
        }
        s.setSoTimeout(0);
        int length;
        byte[] payload;
        try {
          length = in.readUnsignedShort();
          payload = new byte[length];
          in.readFully(payload);
        } catch (EOFException e) {
          return new Result("the server closed the connection mid-frame", false, frames, firstAudio, agentSamples / 8,
              heard.toByteArray());
        }
        s.setSoTimeout(200);
        if (kind == 0x00) {
          return new Result("the agent ended the call (0x00: the dialplan would continue with after-agent)", false, frames,
              firstAudio, agentSamples / 8, heard.toByteArray());
        }
        if (kind == 0x10) {
          frames++;
          heard.write(payload, 0, payload.length);
          boolean speech = false;
          for (int i = 0; i + 1 < payload.length; i += 2) {
            if (payload[i] != 0 || payload[i + 1] != 0) {
              speech = true;
              break;
            }
          }
          if (speech) {
            agentSamples += payload.length / 2;
            if (firstAudio < 0) {
              firstAudio = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }
          }
        }
      }
    } finally {
      clock.shutdownNow();
    }
  }

  /** The AudioSocket server could not be reached at all (Dial would answer CHANUNAVAIL). */
  private static final class Unreachable extends IOException {
    Unreachable(String message) {
      super(message);
    }
  }

  private static void line(StringBuilder sb, String key, String value) {
    sb.append(key).append(": ").append(value).append('\n');
  }

  private static int port(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : 4573;
  }

  static InetSocketAddress hostPort(String address) {
    String a = address.trim();
    int colon = a.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("'" + address + "' is not host:port");
    }
    String host = a.substring(0, colon).replace("[", "").replace("]", "");
    try {
      return new InetSocketAddress(host, Integer.parseInt(a.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + address + "' is not host:port");
    }
  }
}
