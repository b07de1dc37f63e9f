# tsdb-compactor image: the shaded jar on a Temurin 17 JRE, running as a non-root user.
# Build: docker build -t tsdb-compactor .      Run: docker run --rm tsdb-compactor compact --help
# BuildKit is needed (RUN --mount, below): the default builder since Docker 23; before it, DOCKER_BUILDKIT=1.
# Base images pinned to exact releases, so a rebuild of the same commit gets the same JDK; bump them on purpose.
# A registry mirror's copies (or, for a check of this recipe, other JDK 17 images) go in with
# --build-arg BUILD_IMAGE=... --build-arg RUNTIME_IMAGE=...
ARG BUILD_IMAGE=docker.io/library/maven:3.9.9-eclipse-temurin-17
ARG RUNTIME_IMAGE=docker.io/library/eclipse-temurin:17.0.13_11-jre-jammy
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml LICENSE ./
RUN mvn -B -q dependency:go-offline
COPY src src
# No .git in the build context: --version prints "commit unknown". The javadoc and sources jars are not needed.
RUN mvn -B -q install -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip
# S3Proxy (the benchmarks module's S3ProxyMain) for the class data sharing archive's S3 training run below. It is
# mounted into that one step and is not in the image.
COPY benchmarks/pom.xml benchmarks/pom.xml
COPY benchmarks/src benchmarks/src
RUN mvn -B -q -f benchmarks/pom.xml package -DskipTests

FROM ${RUNTIME_IMAGE}
ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
# OCI annotations; pass the commit: docker build --build-arg REVISION=$(git rev-parse HEAD) --build-arg VERSION=...
LABEL org.opencontainers.image.title="tsdb-compactor" \
      org.opencontainers.image.description="Compactor and downsampler for Prometheus TSDB blocks in object storage, a drop-in for thanos compact" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/tsdb-compactor/tsdb-compactor" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"
# 65532 matches the CronJob's runAsUser; the root filesystem is read-only there, so everything the
# process writes goes to /data (work space) and /tmp, both emptyDir volumes in the pod.
RUN groupadd --system --gid 65532 compactor \
 && useradd --system --uid 65532 --gid 65532 --home-dir /data --shell /usr/sbin/nologin compactor \
 && mkdir -p /data && chown 65532:65532 /data
COPY --from=build /src/target/tsdb-compactor.jar /opt/tsdb-compactor/tsdb-compactor.jar
# Class data sharing: training runs (the demo bucket compacted and downsampled; an S3 client meeting a refused
# connection; a generated bucket compacted and downsampled on S3Proxy, started on 127.0.0.1 inside this step) record
# the classes a run loads; one archive of them lets later starts map those classes read-only instead of loading and
# verifying them again: on S3 about 0.5 s less start-up, 15 MB less metaspace and 2-7 MB less peak anonymous memory
# (benchmarks/README.md, "On S3, and class data sharing for the S3 path", "Training the archive on a real S3 server").
# It must match this image's JVM and jar: a JVM that cannot use it runs without it and says nothing (-Xlog:cds says
# why; with -Xshare:on it refuses to start instead, as CronJobImageTest checks). The training uses C1 alone and the
# serial collector: a dynamic archive trained under the default tiered JIT once made C1-only runs downsample 2.5 times
# slower, while one trained this way served C1-only, tiered and C2-only (the CronJob's) runs at full speed (measured).
# The script stays in the image to retrain with other flags (without S3_SERVER_JAR it leaves out the S3Proxy run).
COPY --from=build /src/src/main/docker/cds-training.sh /opt/tsdb-compactor/cds-training.sh
RUN --mount=type=bind,from=build,source=/src/benchmarks/target/benchmarks.jar,target=/tmp/s3proxy.jar \
    S3_SERVER_JAR=/tmp/s3proxy.jar /opt/tsdb-compactor/cds-training.sh \
      /opt/tsdb-compactor/tsdb-compactor.jar /opt/tsdb-compactor/tsdb-compactor.jsa \
      -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1
USER 65532:65532
WORKDIR /data
EXPOSE 10902
# JVM options on the command line, not in JAVA_TOOL_OPTIONS: the JVM announces that variable with a plain-text
# "Picked up JAVA_TOOL_OPTIONS" line on stderr, which breaks --log.format=json's one JSON object per line.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:SharedArchiveFile=/opt/tsdb-compactor/tsdb-compactor.jsa", "-jar", "/opt/tsdb-compactor/tsdb-compactor.jar"]
CMD ["compact", "--help"]
