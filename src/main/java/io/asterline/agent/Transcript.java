package io.asterline.agent;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** What was said on the call, turn by turn: stored with the outcome, and replayed to a renewed session. */
final class Transcript {

  private record Turn(String role, String text, OffsetDateTime at) {}

  private final List<Turn> turns = new ArrayList<>();

  void add(String role, String text) {
    if (text != null && !text.isBlank()) {
      turns.add(new Turn(role, text.strip(), OffsetDateTime.now()));
    }
  }

  /** The latest turns, oldest first, up to about {@code maxChars}. */
  String tail(int maxChars) {
    StringBuilder sb = new StringBuilder();
    for (int i = turns.size() - 1; i >= 0 && sb.length() < maxChars; i--) {
      Turn t = turns.get(i);
      sb.insert(0, t.role() + ": " + t.text() + "\n");
    }
    return sb.toString();
  }

  /** The call row's conversation column: [{"role", "text", "at"}, ...]. */
  String json(ObjectMapper json) {
    ArrayNode array = json.createArrayNode();
    for (Turn t : turns) {
      array.addObject().put("role", t.role()).put("text", t.text()).put("at", t.at().toString());
    }
    return array.toString();
  }
}
