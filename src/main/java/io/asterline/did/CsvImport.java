package io.asterline.did;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.did.DidImporter.Row;
import io.asterline.did.DidImporter.Summary;
import io.asterline.did.DidImporter.Tally;
import io.asterline.config.UserException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * {@code asterline dids import csv}: numbers from a provider's CSV export (DIDWW and others). The header
 * names the columns; a bad row is reported with its line number and skipped, the good rows are imported,
 * and importing the same file again changes nothing.
 */
public final class CsvImport {

  /** The header names each column may go by, normalised (lower case, '_' for spaces and dashes). */
  static final List<String> NUMBER_COLUMNS =
      List.of("number", "phone_number", "phone", "did", "did_number", "e164", "msisdn");
  static final List<String> NAME_COLUMNS = List.of("friendly_name", "name", "description", "label");
  static final List<String> PROVIDER_COLUMNS = List.of("provider", "carrier");
  static final List<String> STATUS_COLUMNS = List.of("status");

  private static final int BATCH = 500;

  /** The outcome; {@code error} when the file as a whole could not be read. */
  public record Result(Summary summary, Optional<String> error) {}

  private final DidImporter importer;
  private final ObjectMapper json;

  public CsvImport(DidImporter importer, ObjectMapper json) {
    this.importer = importer;
    this.json = json;
  }

  /** Fails, saying why in words, when the file cannot be read. */
  static void requireReadable(Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw new UserException("cannot read " + file + ": " + why(file, null) + " (give the path of a CSV file)");
    }
  }

  private static String why(Path file, IOException e) {
    if (e instanceof NoSuchFileException || (e == null && !Files.exists(file))) {
      return "no such file";
    }
    if (e instanceof AccessDeniedException || (e == null && Files.exists(file) && !Files.isReadable(file))) {
      return "permission denied";
    }
    if (Files.isDirectory(file)) {
      return "it is a directory";
    }
    return e == null ? "not a regular file" : e.getMessage();
  }

  Result run(Path file, long tenantId, String segment, String trunk, Optional<String> provider, Progress progress) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (CharacterCodingException e) {
      return new Result(new Summary(0, 0, 0, 0), Optional.of(file + " is not UTF-8 text"));
    } catch (IOException e) {
      return new Result(new Summary(0, 0, 0, 0), Optional.of("cannot read " + file + ": " + why(file, e)));
    }
    List<CsvFile.Line> lines = CsvFile.parse(text);
    if (lines.isEmpty() || lines.get(0).error() != null) {
      return new Result(new Summary(0, 0, 0, 0), Optional.of(file + ": no header row naming the columns"));
    }
    Map<String, Integer> columns = new LinkedHashMap<>();
    List<String> header = lines.get(0).fields();
    for (int i = 0; i < header.size(); i++) {
      columns.putIfAbsent(header.get(i).trim().toLowerCase(Locale.ROOT).replaceAll("[\\s-]+", "_"), i);
    }
    Optional<Integer> numberAt = column(columns, NUMBER_COLUMNS);
    if (numberAt.isEmpty()) {
      return new Result(new Summary(0, 0, 0, 0), Optional.of(file + ": the header names no number column (one of "
          + String.join(", ", NUMBER_COLUMNS) + "); it has " + String.join(", ", header)));
    }
    Optional<Integer> nameAt = column(columns, NAME_COLUMNS);
    Optional<Integer> providerAt = column(columns, PROVIDER_COLUMNS);
    Optional<Integer> statusAt = column(columns, STATUS_COLUMNS);

    Tally tally = new Tally();
    int total = lines.size() - 1;
    int done = 0;
    List<Row> batch = new ArrayList<>();
    for (CsvFile.Line line : lines.subList(1, lines.size())) {
      String where = "line " + line.number();
      Optional<String> problem = Optional.ofNullable(line.error());
      if (problem.isEmpty() && line.fields().size() != header.size()) {
        problem = Optional.of(line.fields().size() + " fields where the header has " + header.size());
      }
      String status = statusAt.flatMap(i -> value(line, i)).map(s -> s.toLowerCase(Locale.ROOT)).orElse("active");
      if (problem.isEmpty() && !Did.STATUSES.contains(status)) {
        problem = Optional.of("unknown status '" + status + "'; one of " + String.join(", ",
            Did.STATUSES.stream().sorted().toList()));
      }
      Optional<String> number = problem.isEmpty() ? value(line, numberAt.get()) : Optional.empty();
      if (problem.isEmpty() && number.isEmpty()) {
        problem = Optional.of("no number");
      }
      if (problem.isEmpty()) {
        try {
          // checked here as well as in the importer, so problems are reported in line order
          importer.normalize(number.get());
        } catch (IllegalArgumentException e) {
          problem = Optional.of(e.getMessage());
        }
      }
      if (problem.isPresent()) {
        tally.failed();
        progress.message(where + ": " + problem.get() + "; skipped");
      } else {
        ObjectNode meta = json.createObjectNode().put("import_source", "csv");
        providerAt.flatMap(i -> value(line, i)).or(() -> provider).ifPresent(p -> meta.put("provider", p));
        nameAt.flatMap(i -> value(line, i)).ifPresent(n -> meta.put("friendly_name", n));
        batch.add(new Row(where, number.get(), meta, status));
      }
      done++;
      if (batch.size() == BATCH) {
        importer.importBatch(tenantId, segment, trunk, batch, tally, m -> progress.message(m + "; skipped"));
        batch.clear();
        progress.show(done, OptionalInt.of(total), "rows (" + tally.summary() + ")");
      }
    }
    importer.importBatch(tenantId, segment, trunk, batch, tally, m -> progress.message(m + "; skipped"));
    progress.show(done, OptionalInt.of(total), "rows (" + tally.summary() + ")");
    progress.endLine();
    return new Result(tally.summary(), Optional.empty());
  }

  private static Optional<Integer> column(Map<String, Integer> columns, List<String> names) {
    return names.stream().filter(columns::containsKey).findFirst().map(columns::get);
  }

  private static Optional<String> value(CsvFile.Line line, int index) {
    if (index >= line.fields().size()) {
      return Optional.empty();
    }
    return Optional.of(line.fields().get(index).trim()).filter(v -> !v.isEmpty());
  }
}
