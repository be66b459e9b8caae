package io.asterline.agi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asterisk's side of one FastAGI request, byte for byte as res_agi.c writes it: the agi_* environment and a
 * blank line, then one reply line per command as {@link ResAgi} answers it ({@code 200 result=1},
 * {@code 200 result=1 (value)} for a set GET VARIABLE, {@code 200 result=0} for an unset one and for EXEC MSet
 * (which sets its pairs in order), {@code 200 result=-2} for EXEC of an application it lacks, {@code 510} for
 * anything it does not know), until the server closes. It can also send the {@code HANGUP} line mid-dialogue, or hang up early, as a channel that
 * hangs up does. Used by the tests and by bench/agi.
 */
public final class FakeAsterisk {


  /** What the server did during one request. */
  public record Exchange(Map<String, String> variables, List<String> setOrder, List<String> commands,
      boolean closedByServer) {

    public String get(String variable) {
      return variables.get(variable);
    }

    /** ASTERLINE_STATUS, asserting it was the last Asterline variable set. */
    public String status() {
      List<String> ours = setOrder.stream().filter(n -> n.startsWith("ASTERLINE_")).toList();
      if (ours.isEmpty() || !ours.get(ours.size() - 1).equals(AgiVariables.STATUS)) {
        throw new AssertionError("ASTERLINE_STATUS was not set last: " + setOrder);
      }
      return variables.get(AgiVariables.STATUS);
    }
  }

  /** One request to send. */
  public static final class Request {
    private final String script;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> channelVariables = new LinkedHashMap<>();
    private int hangupAfterCommands = -1;
    private int closeAfterCommands = -1;
    private String localAddress;
    private final List<String> missingApplications = new ArrayList<>();

    private Request(String script) {
      this.script = script;
      env.put("channel", "PJSIP/trunk-00000001");
      env.put("language", "en");
      env.put("type", "PJSIP");
      env.put("uniqueid", "1763700000.1");
      env.put("version", "20.10.0");
      env.put("callerid", "15557654321");
      env.put("calleridname", "unknown");
      env.put("callingpres", "0");
      env.put("callingani2", "0");
      env.put("callington", "0");
      env.put("callingtns", "0");
      env.put("dnid", "unknown");
      env.put("rdnis", "unknown");
      env.put("context", "from-trunk");
      env.put("extension", "s");
      env.put("priority", "3");
      env.put("enhanced", "0.0");
      env.put("accountcode", "");
      env.put("threadid", "140212345678912");
    }

    public Request args(String... values) {
      args.addAll(List.of(values));
      return this;
    }

    /** Overrides one agi_* field, e.g. env("extension", "15551234567"). */
    public Request env(String field, String value) {
      env.put(field, value);
      return this;
    }

    /** A channel variable GET VARIABLE answers with. */
    public Request variable(String name, String value) {
      channelVariables.put(name, value);
      return this;
    }

    /** Writes the HANGUP line before replying to the n-th command (1-based), then goes on replying. */
    public Request hangupBefore(int command) {
      hangupAfterCommands = command;
      return this;
    }

    /** Closes the socket when the n-th command arrives (1-based), without replying: the caller left. */
    public Request closeAt(int command) {
      closeAfterCommands = command;
      return this;
    }

    /** Plays an Asterisk without this dialplan application: EXEC of it answers -2. */
    public Request withoutApplication(String app) {
      missingApplications.add(app.toLowerCase(java.util.Locale.ROOT));
      return this;
    }

    /** Connects from this local address (e.g. 127.0.0.2) instead of the default. */
    public Request from(String address) {
      localAddress = address;
      return this;
    }
  }

  private final int port;

  public FakeAsterisk(int port) {
    this.port = port;
  }

  public static Request request(String script) {
    return new Request(script);
  }

  public Exchange send(Request request) throws IOException {
    try (Socket socket = new Socket()) {
      if (request.localAddress != null) {
        socket.bind(new InetSocketAddress(request.localAddress, 0));
      }
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(15_000);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      StringBuilder head = new StringBuilder(640);
      head.append("agi_network: yes\n");
      head.append("agi_network_script: ").append(request.script).append('\n');
      head.append("agi_request: agi://127.0.0.1:").append(port).append('/').append(request.script).append('\n');
      request.env.forEach((k, v) -> head.append("agi_").append(k).append(": ").append(v).append('\n'));
      for (int i = 0; i < request.args.size(); i++) {
        head.append("agi_arg_").append(i + 1).append(": ").append(request.args.get(i)).append('\n');
      }
      head.append('\n');
      out.write(head.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();

      Map<String, String> variables = new LinkedHashMap<>(request.channelVariables);
      ResAgi channel = new ResAgi(variables, java.util.Set.copyOf(request.missingApplications));
      List<String> commands = new ArrayList<>();
      boolean closedByServer = false;
      while (true) {
        String line;
        try {
          line = in.readLine();
        } catch (SocketException e) {
          closedByServer = true;
          break;
        }
        if (line == null) {
          closedByServer = true;
          break;
        }
        commands.add(line);
        if (commands.size() == request.closeAfterCommands) {
          break;
        }
        StringBuilder reply = new StringBuilder();
        if (commands.size() == request.hangupAfterCommands) {
          reply.append("HANGUP\n");
        }
        reply.append(channel.reply(line)).append('\n');
        try {
          out.write(reply.toString().getBytes(StandardCharsets.UTF_8));
          out.flush();
        } catch (SocketException e) {
          closedByServer = true;
          break;
        }
      }
      Map<String, String> set = new LinkedHashMap<>();
      channel.setOrder().forEach(name -> set.put(name, variables.get(name)));
      return new Exchange(set, channel.setOrder(), commands, closedByServer);
    }
  }
}
