package io.asterline.outbound;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.asterline.error.InvalidInputException;
import io.asterline.outbound.JourneyRepository.NewNode;
import io.asterline.outbound.JourneyRepository.Node;
import java.util.Iterator;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The rules a journey and its nodes are saved under: names, node types, positions, and a MAKE_CALL node's config
 * (only the known keys, each checked as {@code POST /api/outbound/call} checks its fields, its DID and segment
 * existing for the tenant). Errors are {@link InvalidInputException}s naming the field as the client wrote it.
 */
final class JourneyValidation {

  static final String MAKE_CALL = "MAKE_CALL";
  private static final Pattern TYPE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");
  private static final Set<String> MAKE_CALL_KEYS =
      Set.of("didId", "didSegment", "audioFile", "transferNumber", "voicemailAction", "voicemailMessage");

  /** A node as a client gives it: every part may be missing. */
  record NodeInput(String type, JsonNode config, Integer position) {}

  /** A MAKE_CALL node's config, checked. */
  record MakeCall(Optional<UUID> didId, Optional<String> didSegment, String audioFile, String transferNumber,
      String voicemailAction, String voicemailMessage) {}

  private final OutboundService service;
  private final ObjectMapper json;

  JourneyValidation(OutboundService service, ObjectMapper json) {
    this.service = service;
    this.json = json;
  }

  /** A new node of the tenant's journey; {@code prefix} goes before every field an error names. */
  NewNode newNode(long tenant, String prefix, NodeInput n) {
    if (n == null) {
      String field = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) : prefix;
      throw new InvalidInputException(field, field + " must be an object with type and config");
    }
    if (n.type() == null) {
      throw new InvalidInputException(prefix + "type", prefix + "type is required, e.g. MAKE_CALL");
    }
    String type = type(prefix + "type", n.type());
    return new NewNode(type, config(tenant, prefix + "config", type, n.config()),
        position(prefix + "position", n.position()));
  }

  /**
   * The config a node has after a change to its type and/or config, checked against the type it will have, or
   * null when the change touches neither.
   */
  String changedConfig(long tenant, Node current, String type, NodeInput change) {
    if (change.config() == null && change.type() == null) {
      return null;
    }
    JsonNode cfg = read(current.config());
    if (change.config() != null && (!type.equals(current.type()) || !change.config().isObject() || !cfg.isObject())) {
      // another type's keys mean nothing to this one: its config replaces the old one
      cfg = change.config();
    } else if (change.config() != null) {
      // merged: the keys the request names change (null removes one), the others stay as they were
      ObjectNode merged = ((ObjectNode) cfg).deepCopy();
      change.config().fields().forEachRemaining(e -> {
        if (e.getValue().isNull()) {
          merged.remove(e.getKey());
        } else {
          merged.set(e.getKey(), e.getValue());
        }
      });
      cfg = merged;
    }
    return config(tenant, "config", type, cfg);
  }

  /** The config as stored: an object; for MAKE_CALL only the known keys, checked and normalised. */
  private String config(long tenant, String field, String type, JsonNode config) {
    if (config == null || config.isNull()) {
      config = json.createObjectNode();
    }
    if (!config.isObject()) {
      throw new InvalidInputException(field, field + " must be a JSON object");
    }
    if (!type.equals(MAKE_CALL)) {
      return write(config);
    }
    MakeCall m = makeCall(field + ".", config);
    // checked when saved: a journey naming a DID or segment that does not exist would only fail when run
    service.checkCallerId(tenant, m.didId(), m.didSegment(), field + ".didId", field + ".didSegment");
    ObjectNode out = json.createObjectNode();
    m.didId().ifPresent(v -> out.put("didId", v.toString()));
    m.didSegment().ifPresent(v -> out.put("didSegment", v));
    if (m.audioFile() != null) {
      out.put("audioFile", m.audioFile());
    }
    if (m.transferNumber() != null) {
      out.put("transferNumber", m.transferNumber());
    }
    out.put("voicemailAction", m.voicemailAction());
    if (m.voicemailMessage() != null) {
      out.put("voicemailMessage", m.voicemailMessage());
    }
    return write(out);
  }

  /** A MAKE_CALL config read and checked; {@code prefix} goes before every key an error names. */
  MakeCall makeCall(String prefix, JsonNode c) {
    for (Iterator<String> it = c.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!MAKE_CALL_KEYS.contains(key)) {
        throw new InvalidInputException(prefix + key, "unknown MAKE_CALL config key " + key + "; known: didId, "
            + "didSegment, audioFile, transferNumber, voicemailAction, voicemailMessage");
      }
      if (!c.get(key).isTextual() && !c.get(key).isNull()) {
        throw new InvalidInputException(prefix + key, prefix + key + " must be a string");
      }
    }
    String audio = CallFields.audioFile(prefix + "audioFile", text(c, "audioFile"));
    String message = text(c, "voicemailMessage");
    return new MakeCall(
        CallFields.didId(prefix + "didId", text(c, "didId")),
        CallFields.segment(prefix + "didSegment", text(c, "didSegment")),
        audio,
        CallFields.number(prefix + "transferNumber", text(c, "transferNumber"), false),
        CallFields.voicemailAction(prefix + "voicemailAction", text(c, "voicemailAction"), message, audio,
            prefix + "voicemailMessage"),
        message == null || message.isBlank() ? null : message);
  }

  static String type(String field, String raw) {
    if (raw == null || !TYPE.matcher(raw).matches()) {
      throw new InvalidInputException(field, field + " must be a node type in capitals such as MAKE_CALL, got '"
          + raw + "'");
    }
    return raw;
  }

  static Integer position(String field, Integer raw) {
    if (raw != null && raw < 0) {
      throw new InvalidInputException(field, field + " must be 0 or more, got " + raw);
    }
    return raw;
  }

  static String name(String field, String raw) {
    if (raw == null || raw.isBlank() || raw.length() > 200) {
      throw new InvalidInputException(field, field + " is required: 1 to 200 characters");
    }
    return raw.trim();
  }

  /** A stored config (always an object written by {@link #config}). */
  JsonNode read(String stored) {
    try {
      return json.readTree(stored);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored node config is not JSON", e);
    }
  }

  private String write(JsonNode node) {
    try {
      return json.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String text(JsonNode c, String key) {
    JsonNode v = c.get(key);
    return v == null || v.isNull() ? null : v.asText();
  }
}
