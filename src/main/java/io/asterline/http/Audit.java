package io.asterline.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.util.Set;

/**
 * What a request changed, noted by the route that changed it and written by the server's audit sink once the
 * response succeeded (a refused change leaves no event). Routes never need the sink, so they stay testable
 * without it.
 */
public final class Audit {

  private static final String ATTRIBUTE = "asterline.audit";

  /** One change: {@code changes} are the fields the request set, already without secrets. */
  public record Event(String actor, String action, String entity, String entityId, ObjectNode changes) {}

  /** Where events go (the database in the service). */
  @FunctionalInterface
  public interface Sink {
    void write(Event event);
  }

  private Audit() {}

  /** Notes the change this request makes; {@code secrets} are removed from {@code changes} ("(set)" or null stays). */
  public static void note(Context ctx, String action, String entity, Object entityId, ObjectNode changes,
      Set<String> secrets) {
    ObjectNode safe = changes == null ? null : changes.deepCopy();
    if (safe != null) {
      for (String s : secrets) {
        if (safe.has(s)) {
          if (safe.get(s).isNull()) {
            safe.putNull(s);
          } else {
            safe.put(s, "(set)");
          }
        }
      }
    }
    ctx.attribute(ATTRIBUTE, new Event(actor(Auth.principal(ctx)), action, entity, String.valueOf(entityId), safe));
  }

  public static void note(Context ctx, String action, String entity, Object entityId, ObjectNode changes) {
    note(ctx, action, entity, entityId, changes, Set.of());
  }

  static Event noted(Context ctx) {
    return ctx.attribute(ATTRIBUTE);
  }

  /** "admin" or "tenant:ID": who made a change, never their token. */
  public static String actor(Principal p) {
    return p.admin() ? "admin" : "tenant:" + p.tenantId().getAsLong();
  }
}
