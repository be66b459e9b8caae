package io.asterline.agi;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Asterisk's side of a FastAGI dialogue, as res_agi.c has it: a command line split into words the way its
 * {@code parse_args} does, and the one reply line it writes, against a channel's variables. It knows the
 * commands Asterline's scripts send (and asterisk-java around them): {@code SET VARIABLE}, {@code GET VARIABLE},
 * {@code GET FULL VARIABLE}, {@code EXEC} of {@code MSet} and {@code Set} (any other application answers
 * {@code -2}, as an Asterisk without it does), {@code VERBOSE}, {@code NOOP}, {@code ANSWER} and
 * {@code CHANNEL STATUS}; anything else is {@code 510}, a known command with the wrong number of words
 * {@code 520}. Used by {@code asterline call simulate}, which plays Asterisk against a running node, and by the
 * tests' fake Asterisk, so both speak the dialect the real one does. Not thread-safe: one per channel.
 */
public final class ResAgi {

  /** res_agi's reply to a line it has no command for. */
  public static final String UNKNOWN = "510 Invalid or unknown command";
  /** res_agi's reply to a known command with the wrong number of words (the form without usage text). */
  public static final String SYNTAX = "520 Invalid command syntax.  Proper usage not available.";

  /** AST_STATE_RING: an inbound channel before Answer(), where the inbound script runs. */
  private static final int STATE_RING = 4;
  /** AST_STATE_UP. */
  private static final int STATE_UP = 6;

  private final Map<String, String> variables;
  private final Set<String> missingApplications;
  private final List<String> setOrder = new ArrayList<>();
  private int state = STATE_RING;

  /**
   * @param variables the channel's variables: read by GET VARIABLE, written by SET VARIABLE and MSet (kept
   *     across the AGI requests of one call, as a channel keeps them)
   * @param missingApplications lower-case names of applications this Asterisk lacks (EXEC answers -2)
   */
  public ResAgi(Map<String, String> variables, Set<String> missingApplications) {
    this.variables = variables;
    this.missingApplications = Set.copyOf(missingApplications);
  }

  public ResAgi(Map<String, String> variables) {
    this(variables, Set.of());
  }

  /** The names set on this channel, in the order they were set (a name set twice appears twice). */
  public List<String> setOrder() {
    return setOrder;
  }

  /** The channel as answered ({@code ANSWER} or a channel the dialplan already answered). */
  public ResAgi answered() {
    state = STATE_UP;
    return this;
  }

  /** The reply line (without its newline) Asterisk writes for this command line. */
  public String reply(String line) {
    List<String> argv = parseArgs(line);
    String verb = argv.isEmpty() ? "" : argv.get(0).toUpperCase(Locale.ROOT);
    String second = argv.size() > 1 ? argv.get(1).toUpperCase(Locale.ROOT) : "";
    int argc = argv.size();
    switch (verb) {
      case "SET":
        if (!second.equals("VARIABLE")) {
          return UNKNOWN;
        }
        if (argc != 4) {
          return SYNTAX;
        }
        set(argv.get(2), argv.get(3));
        return "200 result=1";
      case "GET":
        if (second.equals("VARIABLE")) {
          if (argc != 3) {
            return SYNTAX;
          }
          String value = variables.get(argv.get(2));
          return value == null ? "200 result=0" : "200 result=1 (" + value + ")";
        }
        if (second.equals("FULL") && argc >= 3 && argv.get(2).equalsIgnoreCase("VARIABLE")) {
          if (argc != 4 && argc != 5) {
            return SYNTAX;
          }
          // res_agi substitutes the expression; an empty result reads as unset
          String value = substitute(argv.get(3));
          return value.isEmpty() ? "200 result=0" : "200 result=1 (" + value + ")";
        }
        return UNKNOWN;
      case "EXEC":
        if (argc < 2) {
          return SYNTAX;
        }
        // handle_exec hands the application the third word as its data; further words are ignored
        return "200 result=" + exec(argv.get(1), argc > 2 ? argv.get(2) : "");
      case "VERBOSE":
        return argc == 2 || argc == 3 ? "200 result=1" : SYNTAX;
      case "NOOP":
        return "200 result=0";
      case "ANSWER":
        state = STATE_UP;
        return "200 result=0";
      case "CHANNEL":
        if (!second.equals("STATUS")) {
          return UNKNOWN;
        }
        return argc == 2 || argc == 3 ? "200 result=" + state : SYNTAX;
      default:
        return UNKNOWN;
    }
  }

  private int exec(String application, String data) {
    String app = application.toLowerCase(Locale.ROOT);
    if (missingApplications.contains(app)) {
      return -2;
    }
    switch (app) {
      case "mset":
        // pbx_builtin_setvar_multiple: standard application arguments, each pair split at its first '='
        for (String pair : appArgs(data)) {
          int eq = pair.indexOf('=');
          if (eq > 0) {
            set(pair.substring(0, eq), pair.substring(eq + 1));
          }
        }
        return 0;
      case "set":
        // pbx_builtin_setvar: one name=value, the value is everything after the first '='
        int eq = data.indexOf('=');
        if (eq > 0) {
          set(data.substring(0, eq), data.substring(eq + 1));
        }
        return 0;
      default:
        return -2;
    }
  }

  private void set(String name, String value) {
    variables.put(name, value);
    setOrder.add(name);
  }

  /** ${NAME} replaced by the variable's value (unset: nothing), the rest kept as written. */
  private String substitute(String expression) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < expression.length()) {
      int start = expression.indexOf("${", i);
      int end = start < 0 ? -1 : expression.indexOf('}', start);
      if (end < 0) {
        out.append(expression, i, expression.length());
        break;
      }
      out.append(expression, i, start);
      out.append(variables.getOrDefault(expression.substring(start + 2, end), ""));
      i = end + 1;
    }
    return out.toString();
  }

  /**
   * How res_agi splits a command line into words (res_agi.c parse_args): spaces and tabs separate words outside
   * double quotes; a double quote toggles quoting and, coming off a space, starts a word (so {@code ""} is an
   * empty word); a backslash makes the next character literal.
   */
  public static List<String> parseArgs(String line) {
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
  public static List<String> appArgs(String data) {
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

  /** The channel's variables as this dialogue left them. */
  public Map<String, String> variables() {
    return variables;
  }
}
