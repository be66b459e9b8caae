package io.asterline.agi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a script decided: the variables to set, in order, and the status that is set after them. */
public final class ScriptResult {

  private final AgiStatus status;
  private final Map<String, String> variables = new LinkedHashMap<>();
  private Runnable onAbandoned = () -> {};

  private ScriptResult(AgiStatus status) {
    this.status = status;
  }

  public static ScriptResult of(AgiStatus status) {
    return new ScriptResult(status);
  }

  /** Adds an output; a null value is skipped (the variable is not set). */
  public ScriptResult with(String name, Object value) {
    if (value != null) {
      variables.put(name, value.toString());
    }
    return this;
  }

  /** What to undo if Asterisk never hears this answer (the caller hung up meanwhile). */
  public ScriptResult onAbandoned(Runnable undo) {
    this.onAbandoned = undo;
    return this;
  }

  void abandoned() {
    onAbandoned.run();
  }

  public AgiStatus status() {
    return status;
  }

  Map<String, String> variables() {
    return Collections.unmodifiableMap(variables);
  }

  @Override
  public String toString() {
    return status + " " + variables;
  }
}
