# FileVault.Web on ASP.NET Core, listening on 8080 as a non-root user. docker-compose.yml puts nginx (TLS) in front
# of it and mounts the file server at /srv/files. Build: `docker build -t filevault:local .` (compose does it).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The Web project's build restores the browser libraries (tus-js-client, @noble/hashes) from its package-lock.json
# with npm (FileVault.Web.csproj, RestoreBrowserLibraries).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
# Restore from the project and lock files alone, so these layers are rebuilt only when a package changes. npm ci
# here leaves node_modules/.package-lock.json newer than the lock file, so the build's own npm step is skipped.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY FileVault.Core/FileVault.Core.csproj FileVault.Core/
COPY FileVault.Web/FileVault.Web.csproj FileVault.Web/package.json FileVault.Web/package-lock.json FileVault.Web/
RUN cd FileVault.Web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
RUN dotnet restore FileVault.Web/FileVault.Web.csproj
COPY FileVault.Core/ FileVault.Core/
COPY FileVault.Web/ FileVault.Web/
RUN dotnet publish FileVault.Web/FileVault.Web.csproj -c Release --no-restore -p:UseAppHost=false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# Thumbnails use SkiaSharp.NativeAssets.Linux.NoDependencies: libSkiaSharp.so is built without fontconfig and
# freetype and needs only libc, libstdc++ and libgcc_s, which the runtime image has (no libfontconfig1 to install).
# Checked here so that a switch to the package with dependencies fails the build rather than the first thumbnail.
ARG TARGETARCH=amd64
RUN arch="$([ "$TARGETARCH" = arm64 ] && echo arm64 || echo x64)" \
    && ldd "runtimes/linux-$arch/native/libSkiaSharp.so" > /tmp/skia-libs \
    && if grep "not found" /tmp/skia-libs; then exit 1; fi \
    && rm /tmp/skia-libs
# Times are shown in each reader's browser zone (Asia/Seoul, America/New_York, ...): the runtime image's tzdata must
# be there for TimeZoneInfo to find them.
RUN test -f /usr/share/zoneinfo/Asia/Seoul
# The image's default HTTP_PORTS would only make Kestrel log that URLS overrides it.
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production
# The mounted file server. Files the app creates there belong to the image's `app` user (UID 1654); the host
# directory must be writable by it (or run the container with the file server owner's UID: compose's FILEVAULT_UID).
RUN mkdir -p /srv/files && chown "$APP_UID" /srv/files
VOLUME /srv/files
EXPOSE 8080
# The image has no curl or wget: bash's /dev/tcp asks /health/live and checks for a 200 status line. Liveness only:
# it answers without PostgreSQL or Redis, whose state /health/ready reports.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
USER $APP_UID
ENTRYPOINT ["dotnet", "FileVault.Web.dll"]
