package io.asterline.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A light syntax check of Asterisk configuration files, following the rules of Asterisk's own parser
 * (main/config.c, pbx/pbx_config.c) that a hand edit most often breaks: comments ({@code ;} unless
 * escaped as {@code \;}, block comments {@code ;-- --;}), section headers ({@code [name]},
 * {@code [name](!)}, {@code [name](template)}), {@code key = value} / {@code key => value} settings,
 * {@code #include} targets, and in the dialplan {@code exten}/{@code same} lines whose application's
 * brackets must balance. It does not replace loading the files into Asterisk; it catches what would
 * make Asterisk drop a section, a context or a whole file at start.
 */
final class AsteriskConfigLint {

  /** One finding, printed as {@code file:line: message}. */
  record Problem(String file, int line, String message) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + message;
    }
  }

  /** Whether an {@code #include} target exists, as Asterisk would look it up. */
  interface Includes {
    enum Result { FOUND, MISSING, DEFERRED }

    Result resolve(String target);
  }

  /** What a file holds, which decides the rules beyond plain syntax. */
  enum Dialect { PLAIN, DIALPLAN, MODULES }

  /** One meaningful line after comments are removed. */
  record Line(int number, Kind kind, String key, String operator, String value) {
    enum Kind { HEADER, SETTING, DIRECTIVE, INVALID }
  }

  private static final Pattern HEADER = Pattern.compile("\\[([^\\[\\]\\s]*)\\](?:\\(([^()]*)\\))?");
  // a key may carry arguments, as manager.conf's eventfilter(action(include),name(OriginateResponse)) does
  private static final Pattern SETTING = Pattern.compile(
      "([A-Za-z0-9_.\\-/]+(?:\\((?:[^()]|\\([^()]*\\))*\\))?)\\s*(=>|=)\\s*(.*)");
  private static final Pattern DIRECTIVE = Pattern.compile("#(\\w+)\\s*(.*)");
  private static final Pattern TEMPLATE_VARIABLE = Pattern.compile("\\$\\{[A-Z_][A-Z0-9_]*}");
  private static final Pattern PRIORITY = Pattern.compile("(?:\\d+|n|s|hint)(?:\\+\\d+)?(?:\\([A-Za-z0-9_-]+\\))?");
  private static final Pattern APPLICATION = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(?:\\(.*\\))?", Pattern.DOTALL);
  private static final Pattern IPV4_NET = Pattern.compile(
      "(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}|\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}))?");
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+");

  private static final Set<String> CONTEXT_KEYS = Set.of("exten", "same", "include", "switch", "ignorepat");
  private static final Set<String> DIALPLAN_SETTING_SECTIONS = Set.of("general", "globals");
  private static final Set<String> MODULES_KEYS = Set.of("autoload", "load", "noload", "require", "preload",
      "preload-require");
  private static final Set<String> PJSIP_TYPES = Set.of("global", "system", "transport", "endpoint", "aor", "auth",
      "identify", "registration", "domain_alias", "acl", "contact", "phoneprov", "resource_list",
      "outbound-publish", "inbound-publication");

  private AsteriskConfigLint() {}

  static Dialect dialectOf(String fileName) {
    String name = fileName.replaceFirst("\\.template$", "");
    if (name.equals("modules.conf")) {
      return Dialect.MODULES;
    }
    if (name.startsWith("extensions")) {
      return Dialect.DIALPLAN;
    }
    return Dialect.PLAIN;
  }

  /** Splits a file into its meaningful lines, comments removed, in Asterisk's comment rules. */
  static List<Line> parse(String text) {
    List<Line> lines = new ArrayList<>();
    boolean inBlockComment = false;
    String[] raw = text.split("\r?\n", -1);
    for (int i = 0; i < raw.length; i++) {
      StringBuilder kept = new StringBuilder();
      String s = raw[i];
      for (int c = 0; c < s.length(); c++) {
        if (inBlockComment) {
          if (s.startsWith("--;", c)) {
            inBlockComment = false;
            c += 2;
          }
          continue;
        }
        char ch = s.charAt(c);
        if (ch == '\\' && c + 1 < s.length()) {
          kept.append(ch).append(s.charAt(c + 1));
          c++;
        } else if (s.startsWith(";--", c)) {
          inBlockComment = true;
          c += 2;
        } else if (ch == ';') {
          break;
        } else {
          kept.append(ch);
        }
      }
      String line = kept.toString().trim();
      if (line.isEmpty()) {
        continue;
      }
      int number = i + 1;
      Matcher m;
      if (line.startsWith("[")) {
        m = HEADER.matcher(line);
        lines.add(m.matches()
            ? new Line(number, Line.Kind.HEADER, m.group(1), m.group(2), null)
            : new Line(number, Line.Kind.INVALID, null, null, line));
      } else if (line.startsWith("#")) {
        m = DIRECTIVE.matcher(line);
        lines.add(m.matches()
            ? new Line(number, Line.Kind.DIRECTIVE, m.group(1), null, m.group(2).trim())
            : new Line(number, Line.Kind.INVALID, null, null, line));
      } else {
        m = SETTING.matcher(line);
        lines.add(m.matches()
            ? new Line(number, Line.Kind.SETTING, m.group(1), m.group(2), m.group(3).trim())
            : new Line(number, Line.Kind.INVALID, null, null, line));
      }
    }
    return lines;
  }

  /**
   * Checks one file. {@code template} allows deployment variables in values and section names
   * (they are rendered at start); in any other file outside the dialplan such a variable is a
   * rendering that did not happen.
   */
  static List<Problem> lint(String file, String text, Dialect dialect, boolean template, Includes includes) {
    List<Problem> problems = new ArrayList<>();
    String section = null;
    boolean extenSeen = false;
    for (Line line : parse(text)) {
      switch (line.kind()) {
        case INVALID -> problems.add(new Problem(file, line.number(), line.value().startsWith("[")
            ? "malformed section header '" + line.value() + "' (expected [name], [name](!) or [name](template))"
            : "expected 'key = value', a [section] or an #include, got '" + line.value() + "'"));
        case DIRECTIVE -> directive(file, line, includes, problems);
        case HEADER -> {
          section = line.key();
          extenSeen = false;
          if (section.isEmpty()) {
            problems.add(new Problem(file, line.number(), "empty section name"));
          } else if (!template && TEMPLATE_VARIABLE.matcher(section).find()) {
            problems.add(new Problem(file, line.number(), "unrendered variable in section name [" + section + "]"));
          }
        }
        case SETTING -> {
          if (section == null) {
            problems.add(new Problem(file, line.number(), "'" + line.key() + "' is outside any [section]"));
            continue;
          }
          if (!template && dialect != Dialect.DIALPLAN && TEMPLATE_VARIABLE.matcher(line.value()).find()) {
            problems.add(new Problem(file, line.number(), "unrendered variable in '" + line.key() + " = "
                + line.value() + "'"));
          }
          switch (dialect) {
            case MODULES -> modulesSetting(file, section, line, problems);
            case DIALPLAN -> {
              if (!DIALPLAN_SETTING_SECTIONS.contains(section.toLowerCase(Locale.ROOT))) {
                extenSeen = contextLine(file, line, extenSeen, problems);
              }
            }
            case PLAIN -> { }
          }
        }
      }
    }
    return problems;
  }

  private static void directive(String file, Line line, Includes includes, List<Problem> problems) {
    String name = line.key().toLowerCase(Locale.ROOT);
    String target = line.value().replaceAll("^[\"<]|[\">]$", "");
    switch (name) {
      case "include" -> {
        if (target.isEmpty()) {
          problems.add(new Problem(file, line.number(), "#include without a file"));
        } else if (includes.resolve(target) == Includes.Result.MISSING) {
          problems.add(new Problem(file, line.number(), "#include target '" + target + "' does not exist"));
        }
      }
      case "tryinclude" -> {
        if (target.isEmpty()) {
          problems.add(new Problem(file, line.number(), "#tryinclude without a file"));
        }
      }
      case "exec" -> problems.add(new Problem(file, line.number(),
          "#exec runs a program at every reload and needs execincludes=yes; render the file instead"));
      default -> problems.add(new Problem(file, line.number(), "unknown directive #" + line.key()));
    }
  }

  private static void modulesSetting(String file, String section, Line line, List<Problem> problems) {
    if (!section.equals("modules")) {
      problems.add(new Problem(file, line.number(), "modules.conf settings belong in [modules], not [" + section + "]"));
    } else if (!MODULES_KEYS.contains(line.key())) {
      problems.add(new Problem(file, line.number(), "unknown modules.conf keyword '" + line.key()
          + "' (expected autoload, load, noload, require, preload or preload-require)"));
    } else if (!line.key().equals("autoload") && !line.value().endsWith(".so")) {
      problems.add(new Problem(file, line.number(), "module name '" + line.value() + "' should end in .so"));
    }
  }

  /** One line of a dialplan context; returns whether an exten has been seen in the context so far. */
  private static boolean contextLine(String file, Line line, boolean extenSeen, List<Problem> problems) {
    String key = line.key();
    if (!CONTEXT_KEYS.contains(key)) {
      problems.add(new Problem(file, line.number(), "'" + key
          + "' is not a dialplan line (expected exten, same, include, switch or ignorepat)"));
      return extenSeen;
    }
    String value = line.value();
    switch (key) {
      case "exten" -> {
        String[] parts = value.split(",", 3);
        if (parts.length < 3 || parts[0].isBlank()) {
          problems.add(new Problem(file, line.number(), "expected 'exten = pattern,priority,Application(...)', got '"
              + value + "'"));
          return true;
        }
        priorityAndApplication(file, line.number(), parts[1].trim(), parts[2].trim(), problems);
        return true;
      }
      case "same" -> {
        if (!extenSeen) {
          problems.add(new Problem(file, line.number(), "'same' before any 'exten' in this context"));
        }
        String[] parts = value.split(",", 2);
        if (parts.length < 2) {
          problems.add(new Problem(file, line.number(), "expected 'same = priority,Application(...)', got '"
              + value + "'"));
          return extenSeen;
        }
        priorityAndApplication(file, line.number(), parts[0].trim(), parts[1].trim(), problems);
        return extenSeen;
      }
      default -> {
        if (value.isBlank()) {
          problems.add(new Problem(file, line.number(), "'" + key + "' without a value"));
        }
        return extenSeen;
      }
    }
  }

  private static void priorityAndApplication(String file, int number, String priority, String application,
      List<Problem> problems) {
    if (!PRIORITY.matcher(priority).matches()) {
      problems.add(new Problem(file, number, "bad priority '" + priority + "' (expected 1, n, n(label) or hint)"));
    }
    if (priority.equals("hint")) {
      return;
    }
    String unbalanced = unbalanced(application);
    if (unbalanced != null) {
      problems.add(new Problem(file, number, unbalanced + " in '" + application + "'"));
    } else if (!APPLICATION.matcher(application).matches()) {
      problems.add(new Problem(file, number, "expected Application(arguments), got '" + application + "'"));
    }
  }

  /** Null when (), [] and {} balance (outside double quotes, honouring backslash escapes). */
  static String unbalanced(String s) {
    Deque<Character> open = new ArrayDeque<>();
    boolean quoted = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
        continue;
      }
      if (quoted) {
        continue;
      }
      switch (c) {
        case '(', '[', '{' -> open.push(c);
        case ')', ']', '}' -> {
          char expected = c == ')' ? '(' : c == ']' ? '[' : '{';
          if (open.isEmpty() || open.pop() != expected) {
            return "unbalanced '" + c + "' at column " + (i + 1);
          }
        }
        default -> { }
      }
    }
    return open.isEmpty() ? null : "unclosed '" + open.peek() + "'";
  }

  /**
   * Cross-file checks of res_pjsip configuration: every section has a known type, and every name an
   * endpoint or identify refers to exists with the right type (a typo there makes Asterisk load the
   * endpoint without its AOR or credentials, or match calls to nothing). {@code files} maps a file
   * name to its text; all of them are read as one pjsip.conf, as #include makes them.
   */
  static List<Problem> pjsip(Map<String, String> files) {
    List<Section> sections = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    files.forEach((file, text) -> {
      Section current = null;
      for (Line line : parse(text)) {
        if (line.kind() == Line.Kind.HEADER) {
          current = new Section(file, line.number(), line.key(), new LinkedHashMap<>());
          sections.add(current);
        } else if (line.kind() == Line.Kind.SETTING && current != null) {
          current.settings().computeIfAbsent(line.key(), k -> new ArrayList<>()).add(line.value());
        }
      }
    });
    Map<String, Section> byTypeAndName = new LinkedHashMap<>();
    for (Section s : sections) {
      String type = s.type();
      if (type == null) {
        problems.add(new Problem(s.file(), s.line(), "[" + s.name() + "] has no type"));
      } else if (!PJSIP_TYPES.contains(type)) {
        problems.add(new Problem(s.file(), s.line(), "[" + s.name() + "] has unknown type '" + type + "'"));
      } else if (byTypeAndName.putIfAbsent(type + "/" + s.name(), s) != null) {
        problems.add(new Problem(s.file(), s.line(), "second " + type + " named [" + s.name() + "]"));
      }
    }
    for (Section s : sections) {
      String type = s.type();
      if ("endpoint".equals(type)) {
        refer(s, "aors", "aor", byTypeAndName, problems);
        refer(s, "auth", "auth", byTypeAndName, problems);
        refer(s, "outbound_auth", "auth", byTypeAndName, problems);
        refer(s, "transport", "transport", byTypeAndName, problems);
        if (!s.settings().containsKey("context")) {
          problems.add(new Problem(s.file(), s.line(), "endpoint [" + s.name() + "] has no context"));
        }
      } else if ("identify".equals(type)) {
        refer(s, "endpoint", "endpoint", byTypeAndName, problems);
        List<String> matches = s.settings().getOrDefault("match", List.of());
        if (matches.isEmpty()) {
          problems.add(new Problem(s.file(), s.line(), "identify [" + s.name() + "] matches nothing"));
        }
        for (String match : matches) {
          for (String m : match.split(",")) {
            if (!isAddressOrHost(m.trim())) {
              problems.add(new Problem(s.file(), s.line(), "identify [" + s.name() + "] match '" + m.trim()
                  + "' is neither an IPv4 address/network nor a host name"));
            }
          }
        }
      } else if ("transport".equals(type) && !s.settings().containsKey("bind")) {
        problems.add(new Problem(s.file(), s.line(), "transport [" + s.name() + "] has no bind"));
      }
    }
    return problems;
  }

  /** One pjsip.conf section and its settings (a key may repeat, as match= does). */
  private record Section(String file, int line, String name, Map<String, List<String>> settings) {
    String type() {
      List<String> t = settings.get("type");
      return t == null || t.isEmpty() ? null : t.get(0);
    }
  }

  /** Every name listed under {@code key} (comma-separated, possibly repeated) must be a section of {@code type}. */
  private static void refer(Section s, String key, String type, Map<String, Section> byTypeAndName,
      List<Problem> problems) {
    for (String value : s.settings().getOrDefault(key, List.of())) {
      for (String name : value.split(",")) {
        String n = name.trim();
        if (!n.isEmpty() && !byTypeAndName.containsKey(type + "/" + n)) {
          problems.add(new Problem(s.file(), s.line(), s.type() + " [" + s.name() + "] " + key + " = " + n
              + ", but there is no " + type + " named [" + n + "]"));
        }
      }
    }
  }

  /**
   * manager.conf: every permit/deny of an AMI user must be an IPv4 address or network, or Asterisk
   * rejects the user's whole ACL.
   */
  static List<Problem> managerAcl(String file, String text) {
    List<Problem> problems = new ArrayList<>();
    for (Line line : parse(text)) {
      if (line.kind() == Line.Kind.SETTING && (line.key().equals("permit") || line.key().equals("deny"))) {
        if (!IPV4_NET.matcher(line.value()).matches() || !isAddressOrHost(line.value())) {
          problems.add(new Problem(file, line.number(), line.key() + " = " + line.value()
              + " is not an IPv4 address or network (a.b.c.d/len or a.b.c.d/mask)"));
        }
      }
    }
    return problems;
  }

  /**
   * Resolves #include targets the way they resolve inside the Asterisk container: relative to
   * /etc/asterisk, which holds the files of {@code configDir} (a {@code name.conf.template} counts
   * for {@code name.conf}, since it is rendered there), and {@code asterline/} is the repository's
   * dialplan directory mounted at /etc/asterisk/asterline. Asterisk expands wildcards in #include
   * (glob in main/config.c), so a target may be a pattern; it must match at least one file. When the
   * checkout has no dialplan directory the answer for {@code asterline/} targets is DEFERRED.
   */
  static Includes containerLayout(Path configDir, Path dialplanDir) {
    return target -> {
      String rel = target.startsWith("/etc/asterisk/") ? target.substring("/etc/asterisk/".length()) : target;
      if (rel.startsWith("/")) {
        return Includes.Result.MISSING;
      }
      Path base = configDir;
      if (rel.startsWith("asterline/")) {
        if (!Files.isDirectory(dialplanDir)) {
          return Includes.Result.DEFERRED;
        }
        base = dialplanDir;
        rel = rel.substring("asterline/".length());
      }
      PathMatcher exact = FileSystems.getDefault().getPathMatcher("glob:" + rel);
      PathMatcher rendered = FileSystems.getDefault().getPathMatcher("glob:" + rel + ".template");
      Path root = base;
      try (Stream<Path> files = Files.walk(root)) {
        boolean found = files.filter(Files::isRegularFile)
            .map(root::relativize)
            .anyMatch(p -> exact.matches(p) || (root.equals(configDir) && rendered.matches(p)));
        return found ? Includes.Result.FOUND : Includes.Result.MISSING;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    };
  }

  /** IPv4 address or network (prefix or dotted mask), IPv6 literal, or a host name. */
  static boolean isAddressOrHost(String s) {
    Matcher m = IPV4_NET.matcher(s);
    if (m.matches()) {
      for (int i = 1; i <= 4; i++) {
        if (Integer.parseInt(m.group(i)) > 255) {
          return false;
        }
      }
      String mask = m.group(5);
      return mask == null || mask.contains(".") ? validDottedMask(mask) : Integer.parseInt(mask) <= 32;
    }
    if (s.contains(":")) {
      return s.matches("[0-9A-Fa-f:.]+(/\\d{1,3})?");
    }
    return HOST_NAME.matcher(s).matches();
  }

  private static boolean validDottedMask(String mask) {
    if (mask == null) {
      return true;
    }
    String[] octets = mask.split("\\.");
    long bits = 0;
    for (String o : octets) {
      int v = Integer.parseInt(o);
      if (v > 255) {
        return false;
      }
      bits = (bits << 8) | v;
    }
    // a mask is ones followed by zeros
    long inverted = ~bits & 0xFFFFFFFFL;
    return (inverted & (inverted + 1)) == 0;
  }
}
