package io.asterline.error;

/** The service cannot do it now (stopping, a dependency down); the same request may work later. */
public final class UnavailableException extends RefusedException {

  public UnavailableException(String message) {
    super(null, message);
  }
}
