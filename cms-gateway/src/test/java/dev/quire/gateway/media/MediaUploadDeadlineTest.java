package dev.quire.gateway.media;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quire.gateway.Gateway;
import dev.quire.gateway.module.CmsModule;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.junit.jupiter.api.Test;

/** Which requests are uploads, with the longer deadline an upload's body needs to arrive. */
class MediaUploadDeadlineTest {

  @Test
  void onlyAPostToAMediaListIsAnUpload() {
    assertThat(MediaModule.isUpload("POST", "/api/v1/media")).isTrue();
    assertThat(MediaModule.isUpload("POST", "/admin/media/")).isTrue();
    assertThat(MediaModule.isUpload("POST", "/admin/media")).isTrue();
    assertThat(MediaModule.isUpload("GET", "/api/v1/media")).isFalse();
    assertThat(MediaModule.isUpload("GET", "/admin/media/")).isFalse();
    assertThat(MediaModule.isUpload("POST", "/media/" + "a".repeat(64) + "/x.png")).isFalse();
    assertThat(MediaModule.isUpload("POST", "/admin/media/other")).isFalse();
  }

  @Test
  void uploadLimitsThatWouldRefuseEveryUploadAreRefusedByName() {
    var reference = com.typesafe.config.ConfigFactory.load();
    MediaModule.checkUploadLimits(reference);
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                MediaModule.checkUploadLimits(
                    com.typesafe.config.ConfigFactory.parseString(
                            "quire.media.max-concurrent-uploads = 0")
                        .withFallback(reference)))
        .hasMessage("quire.media.max-concurrent-uploads must be at least 1, was 0");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                MediaModule.checkUploadLimits(
                    com.typesafe.config.ConfigFactory.parseString(
                            "quire.media.upload-max-duration = 0s")
                        .withFallback(reference)))
        .hasMessage("quire.media.upload-max-duration must be longer than 0, was PT0S");
  }

  @Test
  void theGatewayTakesTheFirstModulesDeadlineAndTheDefaultOtherwise() {
    Duration fallback = Duration.ofSeconds(20);
    CmsModule none = () -> "none";
    CmsModule uploads =
        new CmsModule() {
          @Override
          public String id() {
            return "uploads";
          }

          @Override
          public java.util.Optional<Duration> responseDeadline(HttpRequest request) {
            return MediaModule.isUpload(request.method().name(), request.getUri().path())
                ? java.util.Optional.of(Duration.ofMinutes(10))
                : java.util.Optional.empty();
          }
        };
    var deadlines = Gateway.deadlines(List.of(none, uploads), fallback);
    assertThat(deadlines.apply(HttpRequest.POST("/api/v1/media")))
        .isEqualTo(Duration.ofMinutes(10));
    assertThat(deadlines.apply(HttpRequest.GET("/api/v1/media"))).isEqualTo(fallback);
    assertThat(deadlines.apply(HttpRequest.create("/posts/x/").withMethod(HttpMethods.PUT)))
        .isEqualTo(fallback);
  }
}
