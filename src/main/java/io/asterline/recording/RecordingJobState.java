package io.asterline.recording;

import java.util.Arrays;
import java.util.List;

/**
 * Where a recording job is (recording_job.state, V5__recording_jobs.sql): {@code pending} until a worker takes it
 * (again after a failed attempt, once its back-off ran out), {@code running} while a worker holds its lease,
 * {@code done} when stored (and transcribed, where the tenant wants it), {@code failed} after its last attempt.
 */
public enum RecordingJobState {
  PENDING("pending"),
  RUNNING("running"),
  DONE("done"),
  FAILED("failed");

  /** Every state as stored, in the order a job goes through them. */
  public static final List<String> STORED = Arrays.stream(values()).map(RecordingJobState::dbValue).toList();

  private final String dbValue;

  RecordingJobState(String dbValue) {
    this.dbValue = dbValue;
  }

  /** As stored in recording_job.state and shown by the API and the command line. */
  public String dbValue() {
    return dbValue;
  }

  /** Whether {@code stored} (a job's state as read) is this one. */
  public boolean is(String stored) {
    return dbValue.equals(stored);
  }
}
