package io.asterline.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;

/**
 * A JSON object request body read field by field, for partial updates where a missing field and an
 * explicit {@code null} mean different things. Every problem is a 400 naming the field.
 */
public final class JsonBody {

  private final ObjectNode node;

  private JsonBody(ObjectNode node) {
    this.node = node;
  }

  /** Parses the body; fields outside {@code allowed} are rejected so a misspelt field is not silently ignored. */
  public static JsonBody parse(String body, ObjectMapper json, Set<String> allowed) {
    JsonNode tree;
    try {
      tree = body == null || body.isBlank() ? null : json.readTree(body);
    } catch (JsonProcessingException e) {
      throw ApiException.badRequest("body", "request body is not valid JSON: " + e.getOriginalMessage());
    }
    if (!(tree instanceof ObjectNode object)) {
      throw ApiException.badRequest("body", "request body must be a JSON object");
    }
    for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw ApiException.badRequest(name, unknownField(name, allowed));
      }
    }
    return new JsonBody(object);
  }

  /**
   * The body read into {@code type}. A missing body or JSON {@code null} is a 400 (Javalin's own bodyAsClass
   * fails on it with a NullPointerException); Jackson's complaints (unknown field, wrong type) reach the HTTP
   * server's handlers, which answer them as 400s naming the field.
   */
  public static <T> T read(String body, ObjectMapper json, Class<T> type) throws JsonProcessingException {
    T value = body == null || body.isBlank() ? null : json.readValue(body, type);
    if (value == null) {
      throw ApiException.badRequest("body", "request body must be a JSON object");
    }
    return value;
  }

  /** The message every route gives for a field it does not know. */
  public static String unknownField(String name, java.util.Collection<?> known) {
    return "unknown field " + name + "; known fields: " + String.join(", ",
        known.stream().map(String::valueOf).sorted().toList());
  }

  /** The fields as given, for the audit trail (secrets are removed there). */
  public ObjectNode fields() {
    return node.deepCopy();
  }

  public boolean has(String field) {
    return node.has(field);
  }

  /** Present and explicitly null. */
  public boolean isNull(String field) {
    return node.has(field) && node.get(field).isNull();
  }

  public Optional<String> string(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw ApiException.badRequest(field, field + " must be a string");
    }
    return Optional.of(v.textValue());
  }

  public String requiredString(String field) {
    return string(field).filter(s -> !s.isBlank())
        .orElseThrow(() -> ApiException.badRequest(field, field + " is required"));
  }

  public Optional<Integer> integer(String field, int min, int max) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.intValue() < min || v.intValue() > max) {
      throw ApiException.badRequest(field, field + " must be a whole number from " + min + " to " + max);
    }
    return Optional.of(v.intValue());
  }

  public Optional<Long> longValue(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw ApiException.badRequest(field, field + " must be a whole number");
    }
    return Optional.of(v.longValue());
  }

  public Optional<Boolean> bool(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isBoolean()) {
      throw ApiException.badRequest(field, field + " must be true or false");
    }
    return Optional.of(v.booleanValue());
  }

  public Optional<ObjectNode> object(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!(v instanceof ObjectNode o)) {
      throw ApiException.badRequest(field, field + " must be a JSON object");
    }
    return Optional.of(o);
  }
}
