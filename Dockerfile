# tsdb-compactor image: the shaded jar on a Temurin 17 JRE, running as a non-root user.
# Build: docker build -t tsdb-compactor .      Run: docker run --rm tsdb-compactor compact --help
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml LICENSE ./
RUN mvn -B -q dependency:go-offline
COPY src src
# No .git in the build context: --version prints "commit unknown". The javadoc and sources jars are not needed.
RUN mvn -B -q package -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip

FROM eclipse-temurin:17-jre
# 65532 matches the CronJob's runAsUser; the root filesystem is read-only there, so everything the
# process writes goes to /data (work space) and /tmp, both emptyDir volumes in the pod.
RUN groupadd --system --gid 65532 compactor \
 && useradd --system --uid 65532 --gid 65532 --home-dir /data --shell /usr/sbin/nologin compactor \
 && mkdir -p /data && chown 65532:65532 /data
COPY --from=build /src/target/tsdb-compactor.jar /opt/tsdb-compactor/tsdb-compactor.jar
USER 65532:65532
WORKDIR /data
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 10902
ENTRYPOINT ["java", "-jar", "/opt/tsdb-compactor/tsdb-compactor.jar"]
CMD ["compact", "--help"]
