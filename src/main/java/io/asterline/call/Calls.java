package io.asterline.call;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.asterline.feature.Feature;
import io.javalin.Javalin;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Consumer;
import org.jooq.DSLContext;

/**
 * The calls feature started: the log of each call's moments (turns, barge-ins, tools, voicemail detection,
 * fallback) that the agent writes through {@link #events()}, the live calls of the cluster (JSON and server-sent
 * events) and a call's story. Added before the agent side, so its writer closes after the agent legs it serves.
 */
public final class Calls implements Feature {

  private final CallEventLog events;
  private final LiveCalls live;
  private final CallStory story;

  private Calls(CallEventLog events, LiveCalls live, CallStory story) {
    this.events = events;
    this.live = live;
    this.story = story;
  }

  public static Calls start(DSLContext dsl, ObjectMapper json, MeterRegistry metrics) {
    return new Calls(new CallEventLog(dsl, json, metrics), new LiveCalls(dsl, json), new CallStory(dsl, json));
  }

  public CallEventLog events() {
    return events;
  }

  @Override
  public String name() {
    return "calls";
  }

  @Override
  public Consumer<Javalin> routes() {
    return live.andThen(story);
  }

  /** The live streams first (they read what the event writer stores), then the writer, draining its queue. */
  @Override
  public void close() {
    live.close();
    events.close();
  }
}
