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
 * blank line, then one reply line per command ({@code 200 result=1}, {@code 200 result=1 (value)} for a set
 * GET VARIABLE, {@code 200 result=0} for an unset one, {@code 200 result=0} for EXEC MSet (which sets its
 * pairs in order), {@code 200 result=-2} for EXEC of any other application, {@code 510} for anything it does
 * not know), until the
 * server closes. It can also send the {@code HANGUP} line mid-dialogue, or hang up early, as a channel that
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
      Map<String, String> set = new LinkedHashMap<>();
      List<String> order = new ArrayList<>();
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
        List<String> argv = agiArgs(line);
        String verb = argv.isEmpty() ? "" : argv.get(0).toUpperCase(java.util.Locale.ROOT);
        String second = argv.size() > 1 ? argv.get(1).toUpperCase(java.util.Locale.ROOT) : "";
        if (verb.equals("SET") && second.equals("VARIABLE") && argv.size() == 4) {
          String name = argv.get(2);
          String value = argv.get(3);
          variables.put(name, value);
          set.put(name, value);
          order.add(name);
          reply.append("200 result=1\n");
        } else if (verb.equals("EXEC") && argv.size() >= 2) {
          String app = argv.get(1).toLowerCase(java.util.Locale.ROOT);
          // res_agi (handle_exec) hands the application its third word as its data; more words are ignored
          String data = argv.size() > 2 ? argv.get(2) : "";
          if (!app.equals("mset") || request.missingApplications.contains(app)) {
            // res_agi: "200 result=-2" for an application this Asterisk does not have
            reply.append("200 result=-2\n");
          } else {
            // pbx_builtin_setvar_multiple: standard app args, then each pair split at its first '='
            for (String pair : appArgs(data)) {
              int eq = pair.indexOf('=');
              if (eq > 0) {
                String name = pair.substring(0, eq);
                String value = pair.substring(eq + 1);
                variables.put(name, value);
                set.put(name, value);
                order.add(name);
              }
            }
            reply.append("200 result=0\n");
          }
        } else if (verb.equals("GET") && (second.equals("VARIABLE") && argv.size() == 3
            || second.equals("FULL") && argv.size() == 4 && argv.get(2).equalsIgnoreCase("VARIABLE"))) {
          String value = variables.get(argv.get(argv.size() - 1));
          reply.append(value == null ? "200 result=0\n" : "200 result=1 (" + value + ")\n");
        } else if (line.startsWith("VERBOSE") || line.startsWith("NOOP")) {
          reply.append("200 result=1\n");
        } else {
          reply.append("510 Invalid or unknown command\n");
        }
        try {
          out.write(reply.toString().getBytes(StandardCharsets.UTF_8));
          out.flush();
        } catch (SocketException e) {
          closedByServer = true;
          break;
        }
      }
      return new Exchange(set, order, commands, closedByServer);
    }
  }

  /**
   * How res_agi splits a command line into words (res_agi.c parse_args): spaces and tabs separate words outside
   * double quotes; a double quote toggles quoting and, coming off a space, starts a word (so {@code ""} is an
   * empty word); a backslash makes the next character literal.
   */
  static List<String> agiArgs(String line) {
    List<String> argv = new ArrayList<>();
    StringBuilder word = null;
    boolean quoted = false;
    boolean escaped = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"' && !escaped) {
        quoted = !quoted;
        if (quoted && word == null) {
          word = new StringBuilder();
        }
      } else if ((c == ' ' || c == '\t') && !quoted && !escaped) {
        if (word != null) {
          argv.add(word.toString());
          word = null;
        }
      } else if (c == '\\' && !escaped) {
        escaped = true;
      } else {
        if (word == null) {
          word = new StringBuilder();
        }
        word.append(c);
        escaped = false;
      }
    }
    if (word != null) {
      argv.add(word.toString());
    }
    return argv;
  }

  /**
   * Asterisk's AST_STANDARD_APP_ARGS (main/app.c __ast_app_separate_args with remove_chars): splits on commas
   * outside double quotes, parentheses and brackets; quotes are removed and a backslash takes the next character
   * literally.
   */
  static List<String> appArgs(String data) {
    List<String> args = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    int depth = 0;
    for (int i = 0; i < data.length(); i++) {
      char c = data.charAt(i);
      if (c == '\\' && i + 1 < data.length()) {
        current.append(data.charAt(++i));
      } else if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && (c == '(' || c == '[')) {
        depth++;
        current.append(c);
      } else if (!quoted && (c == ')' || c == ']') && depth > 0) {
        depth--;
        current.append(c);
      } else if (!quoted && depth == 0 && c == ',') {
        args.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    args.add(current.toString());
    return args;
  }

}
