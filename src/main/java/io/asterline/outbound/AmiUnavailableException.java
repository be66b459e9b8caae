package io.asterline.outbound;

/** AMI is not connected (or not configured), so no call can be originated now. */
public final class AmiUnavailableException extends RuntimeException {

  public AmiUnavailableException(String message) {
    super(message);
  }
}
