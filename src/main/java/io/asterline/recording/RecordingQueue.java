package io.asterline.recording;

import io.asterline.call.CallEvents;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Enqueues a call's recording when call-end reports it: one insert, idempotent per call, and it never
 * throws into the AGI script. Should the insert fail, the workers' sweep enqueues the call later from the
 * {@code recording_file} call-end stored on it.
 */
public final class RecordingQueue implements CallEvents {

  private static final Logger log = LoggerFactory.getLogger(RecordingQueue.class);

  private final RecordingJobs jobs;
  private final Runnable enqueued;

  public RecordingQueue(RecordingJobs jobs, Runnable enqueued) {
    this.jobs = jobs;
    this.enqueued = enqueued;
  }

  @Override
  public void ended(UUID callId, long tenantId, String recordingFile) {
    if (callId == null || recordingFile == null || recordingFile.isBlank()) {
      return;
    }
    MDC.put("callId", callId.toString());
    try {
      if (jobs.enqueue(callId, tenantId, recordingFile.trim())) {
        log.debug("recording job enqueued for {}", recordingFile);
        enqueued.run();
      }
    } catch (RuntimeException e) {
      log.error("could not enqueue the recording {} ({}); the sweep will enqueue it later", recordingFile,
          e.toString());
    } finally {
      MDC.remove("callId");
    }
  }
}
