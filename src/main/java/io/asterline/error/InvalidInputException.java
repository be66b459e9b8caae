package io.asterline.error;

/** An input is not valid: {@link #field()} names it, the message says what would be. */
public final class InvalidInputException extends RefusedException {

  public InvalidInputException(String field, String message) {
    super(field, message);
  }
}
