package io.asterline.agent;

/** An ending the agent decided, waiting for its last words to be played (or for its deadline). */
final class Ending {

  final String decision;
  final String transferTo;
  final String reason;
  /** The ending waits for a response Asterline asked for (goodbye, voicemail message) to be done. */
  final boolean waitForResponse;
  final long deadline;
  boolean responseDone;

  Ending(String decision, String transferTo, String reason, boolean waitForResponse, long deadline) {
    this.decision = decision;
    this.transferTo = transferTo;
    this.reason = reason;
    this.waitForResponse = waitForResponse;
    this.deadline = deadline;
  }
}
