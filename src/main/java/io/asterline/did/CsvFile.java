package io.asterline.did;

import java.util.ArrayList;
import java.util.List;

/**
 * A CSV file as providers export it (RFC 4180: quoted fields may hold the delimiter, doubled quotes and
 * line breaks). The delimiter is whichever of comma, semicolon or tab the header uses most.
 */
final class CsvFile {

  /** One record and the line it starts on (1 = the header), for messages naming the line. */
  record Line(int number, List<String> fields, String error) {}

  private CsvFile() {}

  static List<Line> parse(String text) {
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    char delimiter = delimiter(text);
    List<Line> lines = new ArrayList<>();
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean blank = true;
    int line = 1;
    int start = 1;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (quoted) {
        if (ch == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (ch == '"') {
          quoted = false;
        } else {
          if (ch == '\n') {
            line++;
          }
          field.append(ch);
        }
      } else if (ch == '"' && field.length() == 0) {
        quoted = true;
        blank = false;
      } else if (ch == delimiter) {
        fields.add(field.toString());
        field.setLength(0);
        blank = false;
      } else if (ch == '\n' || ch == '\r') {
        if (ch == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
          i++;
        }
        if (!blank || field.length() > 0) {
          fields.add(field.toString());
          lines.add(new Line(start, fields, null));
        }
        fields = new ArrayList<>();
        field.setLength(0);
        blank = true;
        line++;
        start = line;
      } else {
        field.append(ch);
        if (!Character.isWhitespace(ch)) {
          blank = false;
        }
      }
    }
    if (quoted) {
      lines.add(new Line(start, List.of(), "a quoted field is never closed"));
    } else if (!blank || field.length() > 0) {
      fields.add(field.toString());
      lines.add(new Line(start, fields, null));
    }
    return lines;
  }

  private static char delimiter(String text) {
    int end = text.indexOf('\n');
    String header = end < 0 ? text : text.substring(0, end);
    char best = ',';
    long most = header.chars().filter(c -> c == ',').count();
    for (char candidate : new char[] {';', '\t'}) {
      long n = header.chars().filter(c -> c == candidate).count();
      if (n > most) {
        most = n;
        best = candidate;
      }
    }
    return best;
  }
}
