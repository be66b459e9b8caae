package io.asterline.recording;

/**
 * A recording job that cannot succeed by trying again (the file is missing, empty, or outside the
 * recordings folder): the job fails at once with this message instead of retrying.
 */
final class RecordingFailure extends RuntimeException {

  RecordingFailure(String message) {
    super(message);
  }
}
