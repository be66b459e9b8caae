package io.asterline.twilio;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * What the Media Streams transport ({@code twiliomedia}) needs from the rest of Asterline about the Twilio call a
 * stream belongs to, so that neither knows the other's insides. Twilio's equivalent of the dialplan going on after
 * the agent's leg: the call is given new TwiML through the REST API.
 */
public interface StreamControl {

  /**
   * The agent is done with call {@code callId} (Twilio's {@code callSid}) and its decision is stored (or there is
   * none: the agent failed): Twilio gets the TwiML that carries the call on (transfer, hang up, the tenant's
   * fallback). Completes once Twilio accepted it, or exceptionally; the transport closes the stream either way,
   * and when the update failed Twilio asks the {@code <Connect action>} URL, which answers the same TwiML.
   */
  CompletableFuture<Void> agentDone(UUID callId, String callSid);

  /**
   * The stream of call {@code callId} is over: Twilio sent {@code stop} or the socket closed. {@code afterAgentDone}:
   * the transport had called {@link #agentDone} (the call goes on elsewhere); false: the caller hung up, or the
   * stream broke. {@code recording}: the two-channel WAV Asterline wrote of the stream (caller left, agent right),
   * null when nothing was recorded. Must be quick and must not throw (called on the stream's event loop).
   */
  void streamEnded(UUID callId, String callSid, boolean afterAgentDone, Path recording);
}
