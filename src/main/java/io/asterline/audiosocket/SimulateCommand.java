package io.asterline.audiosocket;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
 * {@code asterline call simulate}: checks a deployment without a phone by doing what Asterisk does for an inbound
 * call: the FastAGI {@code inbound} request for the DID, then the AudioSocket leg to the address the script set,
 * streaming a WAV at real time in 20 ms frames and saving what the agent says.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Act as Asterisk for one inbound call: FastAGI inbound, then AudioSocket; save the agent's audio.")
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
        err.println("--audio " + e.getMessage());
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

    Map<String, String> vars;
    try {
      vars = inboundRequest(agiUri);
    } catch (IOException e) {
      err.println("FastAGI " + agiUri.getHost() + ":" + port(agiUri) + " failed: " + e.getMessage()
          + " (Asterisk would set AGISTATUS=FAILURE and run the failure context)");
      err.flush();
      return 1;
    }
    out.println("FastAGI inbound set: " + vars);
    out.flush();
    String callId = vars.get("ASTERLINE_CALL_ID");
    String address = audioSocketOverride != null ? audioSocketOverride : vars.get("ASTERLINE_AUDIOSOCKET");
    if (callId == null || address == null) {
      err.println("the inbound script did not route the call to the agent (ASTERLINE_STATUS="
          + vars.getOrDefault("ASTERLINE_STATUS", "unset") + "); Asterisk would follow the dialplan's failure path");
      err.flush();
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
      return 1;
    }
    Result r = talk(target, id, caller, Duration.ofSeconds(durationSeconds));
    if (save != null) {
      Wav.writeSlin8k(save, r.heard);
      out.println("saved " + r.heard.length / 16 + " ms of what the caller heard to " + save);
    }
    out.println("call " + id + ": " + r.ending + "; " + r.frames + " frames received"
        + (r.firstAudioMs >= 0 ? ", first agent audio after " + r.firstAudioMs + " ms" : ", the agent never spoke")
        + (r.agentAudioMs > 0 ? ", " + r.agentAudioMs + " ms of agent speech" : ""));
    out.flush();
    return r.firstAudioMs >= 0 ? 0 : 1;
  }

  /** The FastAGI dialogue as Asterisk has it: agi_* lines and a blank line, then one answer per command. */
  Map<String, String> inboundRequest(URI uri) throws IOException {
    Map<String, String> vars = new LinkedHashMap<>();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(uri.getHost(), port(uri)), 2000);
      s.setSoTimeout(10_000);
      String script = uri.getRawPath() == null || uri.getRawPath().length() <= 1 ? "" : uri.getRawPath().substring(1);
      if (uri.getRawQuery() != null) {
        script += "?" + uri.getRawQuery();
      }
      StringBuilder req = new StringBuilder();
      line(req, "agi_network", "yes");
      if (!script.isEmpty()) {
        line(req, "agi_network_script", script);
      }
      line(req, "agi_request", uri.toString());
      line(req, "agi_channel", "PJSIP/simulate-" + Long.toHexString(System.nanoTime() & 0xffffffL));
      line(req, "agi_language", "en");
      line(req, "agi_type", "PJSIP");
      line(req, "agi_uniqueid", (System.currentTimeMillis() / 1000) + "." + (System.nanoTime() % 1000));
      line(req, "agi_version", "20.0.0-asterline-simulate");
      line(req, "agi_callerid", callerId);
      line(req, "agi_calleridname", "asterline simulate");
      line(req, "agi_callingpres", "0");
      line(req, "agi_callingani2", "0");
      line(req, "agi_callington", "0");
      line(req, "agi_callingtns", "0");
      line(req, "agi_dnid", did);
      line(req, "agi_rdnis", "unknown");
      line(req, "agi_context", "from-trunk");
      line(req, "agi_extension", did);
      line(req, "agi_priority", "1");
      line(req, "agi_enhanced", "0.0");
      line(req, "agi_accountcode", "");
      line(req, "agi_threadid", Long.toString(Thread.currentThread().getId()));
      line(req, "agi_arg_1", did);
      req.append('\n');
      OutputStream o = s.getOutputStream();
      o.write(req.toString().getBytes(StandardCharsets.UTF_8));
      o.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      for (String cmd; (cmd = in.readLine()) != null; ) {
        String reply = answer(cmd, vars);
        o.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
        o.flush();
      }
    } catch (SocketTimeoutException e) {
      throw new IOException("no command and no close within 10 s", e);
    }
    return vars;
  }

  /** What Asterisk answers to the commands an inbound script uses. */
  static String answer(String command, Map<String, String> vars) {
    List<String> words = words(command);
    if (words.isEmpty()) {
      return "510 Invalid or unknown command";
    }
    String verb = words.get(0).toUpperCase();
    String second = words.size() > 1 ? words.get(1).toUpperCase() : "";
    if (verb.equals("SET") && second.equals("VARIABLE") && words.size() >= 3) {
      vars.put(words.get(2), words.size() > 3 ? words.get(3) : "");
      return "200 result=1";
    }
    if (verb.equals("GET") && (second.equals("VARIABLE") || second.equals("FULL")) && words.size() >= 3) {
      String name = words.get(words.size() - 1);
      String v = vars.get(name);
      return v == null ? "200 result=0" : "200 result=1 (" + v + ")";
    }
    if (verb.equals("ANSWER") || verb.equals("VERBOSE") || verb.equals("NOOP")) {
      return verb.equals("ANSWER") ? "200 result=0" : "200 result=1";
    }
    if (verb.equals("CHANNEL") && second.equals("STATUS")) {
      return "200 result=6";
    }
    return "510 Invalid or unknown command";
  }

  /** AGI words: space separated, double quotes group, backslash escapes (asterisk-java quotes every value). */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\' && i + 1 < line.length()) {
        w.append(line.charAt(++i));
        any = true;
      } else if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) {
          words.add(w.toString());
          w.setLength(0);
          any = false;
        }
      } else {
        w.append(c);
        any = true;
      }
    }
    if (any) {
      words.add(w.toString());
    }
    return words;
  }

  private record Result(String ending, int frames, long firstAudioMs, long agentAudioMs, byte[] heard) {}

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
      s.connect(target, 2000);
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
          return new Result("hung up as the caller after " + duration.toSeconds() + " s", frames, firstAudio,
              agentSamples / 8, heard.toByteArray());
        }
        int kind;
        try {
          kind = in.read();
        } catch (SocketTimeoutException e) {
          continue;
        }
        if (kind < 0) {
          return new Result("the server closed the connection without 0x00", frames, firstAudio, agentSamples / 8,
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
          return new Result("the server closed the connection mid-frame", frames, firstAudio, agentSamples / 8,
              heard.toByteArray());
        }
        s.setSoTimeout(200);
        if (kind == 0x00) {
          return new Result("the agent ended the call (0x00: the dialplan would continue with after-agent)", frames,
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
