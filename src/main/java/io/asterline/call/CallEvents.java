package io.asterline.call;

import java.util.UUID;

/**
 * What other features need to hear about a call's life, without the AGI scripts knowing them (the
 * recording pipeline enqueues its jobs on {@link #ended} and {@link #voicemailLeft}). Implementations must be quick and must not throw.
 */
public interface CallEvents {

  CallEvents NONE = new CallEvents() {};

  /** The call ended (first call-end only); {@code recordingFile} is null when nothing was recorded. */
  default void ended(UUID callId, long tenantId, String recordingFile) {}

  /**
   * A caller left a voicemail on the call, stored on the call row (first voicemail-done only); {@code file} is
   * the absolute path Record() wrote.
   */
  default void voicemailLeft(UUID callId, long tenantId, String file) {}
}
