package io.asterline.secrets;

/** A stored secret that cannot be read back: encrypted with another key, or damaged. Its message holds no secret. */
public final class SecretException extends RuntimeException {

  public SecretException(String message) {
    super(message);
  }
}
