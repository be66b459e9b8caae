package io.asterline.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The reports there are: the built-in ones shipped in the jar ({@code sql/reports} at build time) and the
 * admin's own {@code .sql} files in {@code reports.dir}, read again at every call so a new file runs without
 * a rebuild or a restart. A file in the folder replaces the built-in report of the same name.
 */
public final class ReportCatalog {

  /** A report file, or why it cannot be used. */
  public record Entry(String name, String source, Optional<Report> report, Optional<String> problem) {}

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  private static final Pattern HEADER = Pattern.compile("([a-z]+):\\s*(.*)");
  private static final String BUILT_IN = "/reports";

  private final Path dir;
  private final Map<String, Entry> builtIn;

  public ReportCatalog(Path dir) {
    this.dir = dir;
    this.builtIn = loadBuiltIn();
  }

  /** Every report by name, valid or not. */
  public Map<String, Entry> entries() {
    Map<String, Entry> all = new TreeMap<>(builtIn);
    if (Files.isDirectory(dir)) {
      try (Stream<Path> files = Files.list(dir)) {
        files.filter(f -> f.getFileName().toString().endsWith(".sql") && Files.isRegularFile(f))
            .sorted()
            .forEach(f -> {
              Entry e = load(f);
              all.put(e.name(), e);
            });
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list reports.dir " + dir + ": " + e.getMessage(), e);
      }
    }
    return all;
  }

  /** The report to run; an unknown name or an invalid file is a {@link ReportException} naming it. */
  public Report find(String name) {
    Map<String, Entry> all = entries();
    Entry e = all.get(name);
    if (e == null) {
      throw ReportException.unknown(name, all.keySet());
    }
    return e.report().orElseThrow(() -> new ReportException("name",
        "report '" + name + "' (" + e.source() + ") cannot run: " + e.problem().orElse("invalid")));
  }

  /**
   * A report shipped in the jar, whatever {@code reports.dir} holds: for the parts of the service that read a
   * report's columns by name (an admin's file of the same name replaces it in the catalog, not there).
   */
  public Report builtIn(String name) {
    Entry e = builtIn.get(name);
    if (e == null || e.report().isEmpty()) {
      throw new IllegalStateException("the built-in report " + name + " is missing or invalid"
          + (e == null ? "" : ": " + e.problem().orElse("")));
    }
    return e.report().get();
  }

  private static Entry load(Path file) {
    String fileName = file.getFileName().toString();
    String name = fileName.substring(0, fileName.length() - ".sql".length());
    try {
      return parse(name, Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      return new Entry(name, file.toString(), Optional.empty(), Optional.of("cannot be read: " + e.getMessage()));
    }
  }

  /** Reads a report's header and checks its SQL against it. */
  static Entry parse(String name, String text, String source) {
    if (!NAME.matcher(name).matches()) {
      return new Entry(name, source, Optional.empty(),
          Optional.of("the file name must be lower-case letters, digits, '_' or '-' before .sql"));
    }
    Map<String, String> header = new LinkedHashMap<>();
    String current = null;
    for (String line : text.split("\\R")) {
      String t = line.strip();
      if (t.isEmpty()) {
        continue;
      }
      if (!t.startsWith("--")) {
        break;
      }
      String content = t.substring(2).strip();
      Matcher m = HEADER.matcher(content);
      if (m.matches() && List.of("title", "description", "params", "chart").contains(m.group(1))) {
        current = m.group(1);
        header.put(current, m.group(2).strip());
      } else if (current != null && !content.isEmpty()) {
        header.put(current, (header.get(current) + " " + content).strip());
      }
    }
    try {
      String title = header.get("title");
      if (title == null || title.isBlank()) {
        throw new ReportException("title", "its header has no '-- title:' line");
      }
      String description = header.getOrDefault("description", "");
      if (description.isBlank()) {
        throw new ReportException("description", "its header has no '-- description:' line");
      }
      Set<Report.Param> params = EnumSet.noneOf(Report.Param.class);
      String declared = header.getOrDefault("params", "").strip();
      if (!declared.isEmpty() && !declared.equals("none")) {
        for (String p : declared.split("\\s*,\\s*")) {
          params.add(Report.Param.of(p).orElseThrow(() -> new ReportException(p,
              "its header declares parameter '" + p + "'; reports take " + String.join(", ", Report.Param.keys()))));
        }
      }
      Optional<Report.Chart> chart = Optional.empty();
      if (header.containsKey("chart")) {
        String[] xy = header.get("chart").split("->");
        List<String> ys = xy.length == 2
            ? Arrays.stream(xy[1].split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList()
            : List.of();
        if (xy.length != 2 || xy[0].isBlank() || ys.isEmpty()) {
          throw new ReportException("chart", "its chart line must read '-- chart: x_column -> y_column, ...'");
        }
        chart = Optional.of(new Report.Chart(xy[0].strip(), ys));
      }
      Set<Report.Param> used = ReportSql.usedParams(text);
      for (Report.Param p : used) {
        if (!params.contains(p)) {
          throw new ReportException(p.key(), "its SQL uses :" + p.key() + " but its header does not declare it");
        }
      }
      for (Report.Param p : params) {
        if (!used.contains(p)) {
          throw new ReportException(p.key(), "its header declares " + p.key() + " but its SQL never uses :" + p.key());
        }
      }
      return new Entry(name, source, Optional.of(new Report(name, title, description, params, chart, text, source)),
          Optional.empty());
    } catch (ReportException e) {
      return new Entry(name, source, Optional.empty(), Optional.of(e.getMessage()));
    }
  }

  private static Map<String, Entry> loadBuiltIn() {
    URL url = ReportCatalog.class.getResource(BUILT_IN);
    Map<String, Entry> out = new TreeMap<>();
    if (url == null) {
      return out;
    }
    try {
      URI uri = url.toURI();
      if (uri.getScheme().equals("jar")) {
        FileSystem fs;
        try {
          fs = FileSystems.getFileSystem(uri);
        } catch (FileSystemNotFoundException e) {
          fs = FileSystems.newFileSystem(uri, Map.of());
        }
        collect(fs.getPath(BUILT_IN), out);
      } else {
        collect(Path.of(uri), out);
      }
    } catch (IOException | URISyntaxException e) {
      throw new IllegalStateException("cannot read the built-in reports: " + e.getMessage(), e);
    }
    return out;
  }

  private static void collect(Path folder, Map<String, Entry> out) throws IOException {
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(folder)) {
      s.filter(f -> f.getFileName().toString().endsWith(".sql")).forEach(files::add);
    }
    for (Path f : files) {
      String fileName = f.getFileName().toString();
      String name = fileName.substring(0, fileName.length() - ".sql".length());
      out.put(name, parse(name, Files.readString(f, StandardCharsets.UTF_8), "built-in"));
    }
  }
}
