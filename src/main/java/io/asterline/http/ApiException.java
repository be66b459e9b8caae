package io.asterline.http;

/**
 * An error a client caused or must know about, answered as JSON
 * {@code {"error": "...", "field": "..."}} with its HTTP status.
 */
public class ApiException extends RuntimeException {

  private final int status;
  private final String field;

  public ApiException(int status, String field, String message) {
    super(message);
    this.status = status;
    this.field = field;
  }

  public static ApiException badRequest(String field, String message) {
    return new ApiException(400, field, message);
  }

  public static ApiException notFound(String message) {
    return new ApiException(404, null, message);
  }

  public static ApiException unauthorized(String message) {
    return new ApiException(401, null, message);
  }

  public static ApiException conflict(String message) {
    return new ApiException(409, null, message);
  }

  public static ApiException unavailable(String message) {
    return new ApiException(503, null, message);
  }

  public int status() {
    return status;
  }

  /** The request field at fault, or null. */
  public String field() {
    return field;
  }
}
