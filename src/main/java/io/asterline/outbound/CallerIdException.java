package io.asterline.outbound;

/** The requested caller ID cannot be used: the message names the DID or segment and why. */
public final class CallerIdException extends RuntimeException {

  /** Which request field is at fault. */
  public enum Field { DID_ID, DID_SEGMENT, NONE }

  private final Field field;

  public CallerIdException(Field field, String message) {
    super(message);
    this.field = field;
  }

  public Field field() {
    return field;
  }
}
