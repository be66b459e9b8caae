package io.asterline.twiliomedia;

import io.asterline.twilio.StreamControl;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The call control as the transport's tests see it: it records what the transport told it, and answers
 * {@code agentDone} as the test says (at once, never, or failed), as the real one's Twilio update would.
 */
public final class RecordedStreamControl implements StreamControl {

  public record AgentDone(UUID callId, String callSid, long nanos) {}

  public record Ended(UUID callId, String callSid, boolean afterAgentDone, Path recording, long nanos) {}

  public enum Answer { AT_ONCE, NEVER, FAIL }

  public final List<AgentDone> agentDone = new CopyOnWriteArrayList<>();
  public final List<Ended> ended = new CopyOnWriteArrayList<>();
  public volatile Answer answer = Answer.AT_ONCE;

  @Override
  public CompletableFuture<Void> agentDone(UUID callId, String callSid) {
    agentDone.add(new AgentDone(callId, callSid, System.nanoTime()));
    return switch (answer) {
      case AT_ONCE -> CompletableFuture.completedFuture(null);
      case NEVER -> new CompletableFuture<>();
      case FAIL -> CompletableFuture.failedFuture(new IllegalStateException("Twilio answered 503"));
    };
  }

  @Override
  public void streamEnded(UUID callId, String callSid, boolean afterAgentDone, Path recording) {
    ended.add(new Ended(callId, callSid, afterAgentDone, recording, System.nanoTime()));
  }

  public List<Ended> endedOf(UUID callId) {
    return ended.stream().filter(e -> e.callId().equals(callId)).toList();
  }

  public List<AgentDone> agentDoneOf(UUID callId) {
    return agentDone.stream().filter(e -> e.callId().equals(callId)).toList();
  }
}
