package io.asterline.compliance;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.error.ConflictException;
import io.asterline.error.InvalidInputException;
import io.asterline.error.NotFoundException;
import io.asterline.http.Audit;
import io.asterline.http.Auth;
import io.asterline.http.JsonBody;
import io.asterline.http.Principal;
import io.asterline.phone.PhoneNumbers;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /api/compliance/calling-window} (the tenant's, or a journey's override) and
 * {@code /api/compliance/suppressions} (the do-not-call list: add, list, remove, CSV import).
 */
final class ComplianceRoutes {

  /** At most this many rows in one CSV import, so one request cannot hold the table for long. */
  static final int MAX_IMPORT_ROWS = 100_000;

  record WindowBody(
      @JsonProperty("business_id") Long businessId,
      @JsonProperty("journey_id") Long journeyId,
      @JsonProperty("days") List<String> days,
      @JsonProperty("opens") String opens,
      @JsonProperty("closes") String closes) {}

  record SuppressionBody(
      @JsonProperty("business_id") Long businessId,
      @JsonProperty("number") String number,
      @JsonProperty("note") String note) {}

  private final ComplianceRepository repository;
  private final ObjectMapper json;
  private final String defaultCountryCode;

  ComplianceRoutes(ComplianceRepository repository, ObjectMapper json, String defaultCountryCode) {
    this.repository = repository;
    this.json = json;
    this.defaultCountryCode = defaultCountryCode;
  }

  void register(Javalin app) {
    app.get("/api/compliance/calling-window", this::getWindow);
    app.put("/api/compliance/calling-window", this::putWindow);
    app.delete("/api/compliance/calling-window", this::deleteWindow);
    app.get("/api/compliance/suppressions", this::list);
    app.post("/api/compliance/suppressions", this::add);
    app.post("/api/compliance/suppressions/import", this::importCsv);
    app.delete("/api/compliance/suppressions/{number}", this::remove);
  }

  // ---------------------------------------------------------------- calling windows

  private void getWindow(Context ctx) {
    long tenant = tenant(ctx, query(ctx, "business_id"));
    Long journey = journey(ctx, tenant, query(ctx, "journey_id"));
    CallingWindow w = repository.window(tenant, journey).orElseThrow(() -> new NotFoundException(
        journey == null ? "tenant " + tenant + " has no calling window" : "journey " + journey + " has no calling window"));
    ctx.json(view(tenant, journey, w));
  }

  private void putWindow(Context ctx) throws JsonProcessingException {
    WindowBody body = JsonBody.read(ctx.body(), json, WindowBody.class);
    long tenant = tenant(ctx, body.businessId());
    Long journey = journey(ctx, tenant, body.journeyId());
    CallingWindow w = CallingWindow.parse(body.days(), body.opens(), body.closes());
    repository.setWindow(tenant, journey, w);
    ObjectNode changes = json.createObjectNode().put("window", w.toString());
    if (journey != null) {
      changes.put("journey", journey);
    }
    Audit.note(ctx, "update", "calling_window", tenant, changes);
    ctx.json(view(tenant, journey, w));
  }

  private void deleteWindow(Context ctx) {
    long tenant = tenant(ctx, query(ctx, "business_id"));
    Long journey = journey(ctx, tenant, query(ctx, "journey_id"));
    if (!repository.deleteWindow(tenant, journey)) {
      throw new NotFoundException("no calling window to delete");
    }
    Audit.note(ctx, "delete", "calling_window", tenant,
        journey == null ? null : json.createObjectNode().put("journey", journey));
    ctx.status(204);
  }

  private static Map<String, Object> view(long tenant, Long journey, CallingWindow w) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("business_id", tenant);
    v.put("journey_id", journey);
    v.put("days", w.dayNames());
    v.put("opens", w.opens().toString());
    v.put("closes", w.closes().toString());
    v.put("time_zone", "callee-local");
    return v;
  }

  // ---------------------------------------------------------------- suppression list

  private void list(Context ctx) {
    long tenant = tenant(ctx, query(ctx, "business_id"));
    int limit = intQuery(ctx, "limit", 100, 1, 1000);
    int offset = intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE);
    List<Map<String, Object>> rows = new ArrayList<>();
    repository.list(tenant, limit, offset).forEach(s -> rows.add(view(s)));
    ctx.json(Map.of("business_id", tenant, "suppressions", rows));
  }

  private void add(Context ctx) throws JsonProcessingException {
    SuppressionBody body = JsonBody.read(ctx.body(), json, SuppressionBody.class);
    long tenant = tenant(ctx, body.businessId());
    String number = number("number", body.number());
    String note = body.note() == null || body.note().isBlank() ? null : body.note().strip();
    boolean added = repository.add(tenant, List.of(number), "api", note) == 1;
    if (added) {
      Audit.note(ctx, "create", "suppression", number, json.createObjectNode().put("business_id", tenant));
    }
    ctx.status(added ? 201 : 200).json(view(repository.find(tenant, number).orElseThrow()));
  }

  /**
   * A CSV of numbers: the column named {@code number} (or {@code phone}, {@code to_number}) if the first line is a
   * header, else the first column. Every line is checked before anything is stored: one bad line refuses the
   * import and names the lines.
   */
  private void importCsv(Context ctx) {
    long tenant = tenant(ctx, query(ctx, "business_id"));
    String note = ctx.queryParam("note");
    String[] lines = ctx.body().split("\\r?\\n");
    int column = 0;
    int start = 0;
    if (lines.length > 0) {
      List<String> first = fields(lines[0]);
      boolean header = first.stream().anyMatch(f -> f.matches("(?i)[a-z_ ]+"));
      if (header) {
        column = -1;
        for (int i = 0; i < first.size(); i++) {
          if (first.get(i).strip().toLowerCase().matches("number|phone|phone_number|to_number|e164")) {
            column = i;
          }
        }
        if (column < 0) {
          throw new InvalidInputException("csv", "csv: the header " + first + " has no number column; name it "
              + "'number' (or put the numbers in the first column without a header)");
        }
        start = 1;
      }
    }
    Set<String> numbers = new LinkedHashSet<>();
    List<String> errors = new ArrayList<>();
    for (int i = start; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      List<String> f = fields(lines[i]);
      String raw = column < f.size() ? f.get(column) : "";
      try {
        numbers.add(PhoneNumbers.require(raw, defaultCountryCode));
      } catch (IllegalArgumentException e) {
        errors.add("line " + (i + 1) + ": " + e.getMessage());
      }
      if (numbers.size() > MAX_IMPORT_ROWS) {
        throw new InvalidInputException("csv", "csv: more than " + MAX_IMPORT_ROWS + " numbers; split the file");
      }
    }
    if (!errors.isEmpty()) {
      throw new InvalidInputException("csv", "csv: nothing imported; " + errors.size() + " line(s) are not phone "
          + "numbers: " + String.join("; ", errors.subList(0, Math.min(20, errors.size())))
          + (errors.size() > 20 ? "; ..." : ""));
    }
    if (numbers.isEmpty()) {
      throw new InvalidInputException("csv", "csv: no numbers found; send one number per line (text/csv)");
    }
    int added = repository.add(tenant, List.copyOf(numbers), "csv", note == null || note.isBlank() ? null : note);
    Audit.note(ctx, "import", "suppression", tenant, json.createObjectNode().put("added", added)
        .put("numbers", numbers.size()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("business_id", tenant);
    out.put("numbers", numbers.size());
    out.put("added", added);
    out.put("already_listed", numbers.size() - added);
    ctx.json(out);
  }

  /**
   * Removes a number. An opt_out entry (the callee asked, on a call) is kept unless an admin passes
   * {@code override=opt_out}: no ordinary list maintenance may undo what the callee asked for.
   */
  private void remove(Context ctx) {
    Principal p = Auth.principal(ctx);
    long tenant = tenant(ctx, query(ctx, "business_id"));
    String number = number("number", ctx.pathParam("number"));
    boolean override = "opt_out".equals(ctx.queryParam("override"));
    if (override && !p.admin()) {
      throw new ConflictException("override", "override: only an admin token may remove an opt_out entry");
    }
    switch (repository.remove(tenant, number, override)) {
      case REMOVED -> {
        Audit.note(ctx, "delete", "suppression", number, json.createObjectNode().put("business_id", tenant)
            .put("override", override));
        ctx.status(204);
      }
      case NOT_FOUND -> throw new NotFoundException(number + " is not on the do-not-call list");
      case OPT_OUT_KEPT -> throw new ConflictException("number", "number: " + number + " opted out on a call; the "
          + "entry is kept (an admin may remove it with override=opt_out)");
    }
  }

  private static Map<String, Object> view(ComplianceRepository.Suppression s) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("number", s.number());
    v.put("source", s.source());
    v.put("call_id", s.callId());
    v.put("note", s.note());
    v.put("created_at", s.createdAt().toString());
    return v;
  }

  // ---------------------------------------------------------------- inputs

  private String number(String field, String raw) {
    try {
      return PhoneNumbers.require(raw, defaultCountryCode);
    } catch (IllegalArgumentException e) {
      throw new InvalidInputException(field, field + ": " + e.getMessage());
    }
  }

  private static long tenant(Context ctx, Long requested) {
    return Auth.principal(ctx).scope(requested, "business_id");
  }

  private Long journey(Context ctx, long tenant, Long journeyId) {
    if (journeyId == null) {
      return null;
    }
    if (!repository.journeyOf(tenant, journeyId)) {
      throw new NotFoundException("no journey " + journeyId);
    }
    return journeyId;
  }

  private static Long query(Context ctx, String name) {
    String v = ctx.queryParam(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return Long.parseLong(v.strip());
    } catch (NumberFormatException e) {
      throw new InvalidInputException(name, name + ": '" + v + "' is not a number");
    }
  }

  private static int intQuery(Context ctx, String name, int dflt, int min, int max) {
    Long v = query(ctx, name);
    if (v == null) {
      return dflt;
    }
    if (v < min || v > max) {
      throw new InvalidInputException(name, name + " must be between " + min + " and " + max + ", got " + v);
    }
    return v.intValue();
  }

  /** One CSV line's fields, with double-quoted fields ("a, b") and doubled quotes inside them. */
  static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder f = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          f.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          f.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',' || c == ';') {
        out.add(f.toString().strip());
        f.setLength(0);
      } else {
        f.append(c);
      }
    }
    out.add(f.toString().strip());
    return out;
  }
}
