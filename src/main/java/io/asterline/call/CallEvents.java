package io.asterline.call;

import java.util.UUID;

/**
 * What other features need to hear about a call's life, without the AGI scripts knowing them (the
 * recording pipeline enqueues its job on {@link #ended}). Implementations must be quick and must not throw.
 */
public interface CallEvents {

  CallEvents NONE = new CallEvents() {};

  /** The call ended (first call-end only); {@code recordingFile} is null when nothing was recorded. */
  default void ended(UUID callId, long tenantId, String recordingFile) {}
}
