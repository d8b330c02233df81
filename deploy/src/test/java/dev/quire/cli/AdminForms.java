package dev.quire.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The admin as a browser without scripts uses it, over HTTP on loopback: cookies kept by hand (so a
 * test can copy one to another gateway, or keep one past sign-out), forms posted as
 * application/x-www-form-urlencoded with the CSRF token the page carried.
 */
final class AdminForms {

  static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

  final String base;
  final Map<String, String> cookies = new LinkedHashMap<>();

  AdminForms(String base) {
    this.base = base;
  }

  /** Another browser with this one's cookies: the same session, on {@code otherBase}. */
  AdminForms copyTo(String otherBase) {
    AdminForms other = new AdminForms(otherBase);
    other.cookies.putAll(cookies);
    return other;
  }

  HttpResponse<String> get(String path) throws Exception {
    return keep(
        HTTP.send(
            request(path).GET().build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
  }

  /** {@code method} on {@code path} with no body, as a script or a mistaken client sends it. */
  HttpResponse<String> send(String method, String path) throws Exception {
    return keep(
        HTTP.send(
            request(path).method(method, HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
  }

  HttpResponse<String> post(String path, Map<String, String> form) throws Exception {
    String body =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    return keep(
        HTTP.send(
            request(path)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
  }

  /**
   * A multipart/form-data POST, its parts in the order given, as a browser sends a form with a
   * file: each part a {@code name}, and for a file a {@code filename} and bytes.
   */
  HttpResponse<String> postMultipart(
      String path, java.util.List<String[]> fields, String fileName, byte[] file) throws Exception {
    String boundary = "----quire-test-" + System.nanoTime();
    var out = new java.io.ByteArrayOutputStream();
    for (String[] f : fields) {
      out.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\""
                  + f[0]
                  + "\"\r\n\r\n"
                  + f[1]
                  + "\r\n")
              .getBytes(StandardCharsets.UTF_8));
    }
    if (fileName != null) {
      out.writeBytes(
          ("--"
                  + boundary
                  + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                  + fileName
                  + "\"\r\nContent-Type: image/png\r\n\r\n")
              .getBytes(StandardCharsets.UTF_8));
      out.writeBytes(file);
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return keep(
        HTTP.send(
            request(path)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(out.toByteArray()))
                .build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8)));
  }

  /** Posts {@code form} with the CSRF token of the page at {@code formPage}. */
  HttpResponse<String> submit(String formPage, String action, Map<String, String> form)
      throws Exception {
    HttpResponse<String> page = get(formPage);
    assertThat(page.statusCode()).as(formPage + ": " + page.body()).isEqualTo(200);
    Map<String, String> withToken = new LinkedHashMap<>(form);
    withToken.put("_csrf", csrf(page.body()));
    return post(action, withToken);
  }

  /** Signs in through the form; answers the response to the POST. */
  HttpResponse<String> signIn(String username, String password) throws Exception {
    HttpResponse<String> page = get("/admin/login");
    assertThat(page.statusCode()).isEqualTo(200);
    return post(
        "/admin/login",
        Map.of(
            "_csrf",
            csrf(page.body()),
            "username",
            username,
            "password",
            password,
            "next",
            "/admin/"));
  }

  static String csrf(String html) {
    Matcher m = CSRF.matcher(html);
    assertThat(m.find()).as("a form with a CSRF token in: " + html).isTrue();
    return m.group(1);
  }

  static String location(HttpResponse<?> r) {
    return r.headers().firstValue("Location").orElse("");
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
    if (!cookies.isEmpty()) {
      b.header(
          "Cookie",
          cookies.entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue())
              .collect(Collectors.joining("; ")));
    }
    return b;
  }

  private HttpResponse<String> keep(HttpResponse<String> r) {
    for (String set : r.headers().allValues("Set-Cookie")) {
      String pair = set.split(";", 2)[0];
      String name = pair.substring(0, pair.indexOf('='));
      String value = pair.substring(pair.indexOf('=') + 1);
      if (value.isEmpty() || set.contains("Max-Age=0")) {
        cookies.remove(name);
      } else {
        cookies.put(name, value);
      }
    }
    return r;
  }
}
