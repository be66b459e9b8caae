package io.asterline.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds secrets in deployment files: tokens in a known format wherever they appear, and a literal
 * value given to a key whose name says it is secret. A value counts as a placeholder, not a secret,
 * when it is empty, refers to a variable ({@code ${NAME}}, {@code $NAME}), says {@code change-me}, or
 * is an {@code <angle bracket>} hint.
 */
final class SecretScanner {

  record Finding(String file, int line, String reason) {
    @Override
    public String toString() {
      return file + ":" + line + ": " + reason;
    }
  }

  private record Format(String name, Pattern pattern) {}

  private static final List<Format> FORMATS = List.of(
      new Format("an OpenAI API key", Pattern.compile("\\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}")),
      new Format("an AWS access key id", Pattern.compile("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b")),
      new Format("a Twilio account or API key SID", Pattern.compile("\\b(?:AC|SK)[0-9a-f]{32}\\b")),
      new Format("a private key", Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----")),
      new Format("a GitHub token", Pattern.compile("\\bgh[pousr]_[A-Za-z0-9]{36,}")),
      new Format("a Slack token", Pattern.compile("\\bxox[abprs]-[A-Za-z0-9-]{10,}")),
      new Format("a JSON web token", Pattern.compile("\\beyJ[A-Za-z0-9_-]{10,}\\.[A-Za-z0-9_-]{10,}\\.")));

  private static final Pattern SECRET_KEY = Pattern.compile(
      "(?i).*(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential).*");
  // KEY=value (env files), key = value (Asterisk), KEY: value (YAML), Environment=KEY=value (systemd)
  private static final Pattern ASSIGNMENT = Pattern.compile(
      "^\\s*(?:-\\s*)?(?:Environment=)?[\"']?([A-Za-z_][A-Za-z0-9_.-]*)[\"']?\\s*(=>|=|:)\\s*(.*)$");
  private static final Pattern URL_PASSWORD = Pattern.compile("\\b[a-z][a-z0-9+.-]*://[^/\\s:@]+:([^@\\s/]+)@");

  private SecretScanner() {}

  static List<Finding> scan(String file, String text) {
    List<Finding> findings = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      for (Format f : FORMATS) {
        if (f.pattern().matcher(line).find()) {
          findings.add(new Finding(file, i + 1, "looks like " + f.name()));
        }
      }
      String trimmed = line.trim();
      if (trimmed.startsWith("#") || trimmed.startsWith(";")) {
        continue;
      }
      Matcher url = URL_PASSWORD.matcher(line);
      while (url.find()) {
        if (!isPlaceholder(url.group(1))) {
          findings.add(new Finding(file, i + 1, "a password inside a URL"));
        }
      }
      Matcher a = ASSIGNMENT.matcher(line);
      if (a.matches() && SECRET_KEY.matcher(a.group(1)).matches()) {
        String value = stripComment(a.group(3)).trim();
        if (!isPlaceholder(value)) {
          findings.add(new Finding(file, i + 1, "'" + a.group(1) + "' is given a literal value; use a placeholder "
              + "(change-me) or a variable reference"));
        }
      }
    }
    return findings;
  }

  /** The value without a trailing comment: ';' in Asterisk files, ' #' in env and YAML files. */
  private static String stripComment(String value) {
    String v = value.split(";", 2)[0];
    int hash = v.indexOf(" #");
    return hash >= 0 ? v.substring(0, hash) : v;
  }

  static boolean isPlaceholder(String raw) {
    String v = raw.trim();
    if ((v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'")) && v.length() >= 2) {
      v = v.substring(1, v.length() - 1).trim();
    }
    String lower = v.toLowerCase(Locale.ROOT);
    return v.isEmpty()
        || v.startsWith("$")
        || v.contains("${")
        || lower.contains("change-me")
        || lower.contains("changeme")
        || v.startsWith("<") && v.endsWith(">");
  }
}
