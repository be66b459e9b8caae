package io.asterline.config;

/**
 * A condition the user caused and can put right (a port in use, a missing file, a data directory held by a
 * running node). The message says what happened and what to do; commands print it as one line, without a stack
 * trace, and exit 1.
 */
public class UserException extends RuntimeException {

  public UserException(String message) {
    super(message);
  }

  public UserException(String message, Throwable cause) {
    super(message, cause);
  }
}
