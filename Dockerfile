# FileVault.Web on ASP.NET Core, listening on 8080 as a non-root user. docker-compose.yml puts nginx in front of it
# and mounts the file server at /srv/files.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The build restores the browser libraries from FileVault.Web/package-lock.json with npm.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
# Restore from the project files alone, so this layer is rebuilt only when a package or project reference changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY FileVault.Core/FileVault.Core.csproj FileVault.Core/
COPY FileVault.Web/FileVault.Web.csproj FileVault.Web/
RUN dotnet restore FileVault.Web/FileVault.Web.csproj
COPY FileVault.Core/ FileVault.Core/
COPY FileVault.Web/ FileVault.Web/
RUN dotnet publish FileVault.Web/FileVault.Web.csproj -c Release --no-restore -p:UseAppHost=false -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
# The image's default HTTP_PORTS would only make Kestrel log that URLS overrides it.
ENV ASPNETCORE_URLS=http://+:8080 \
    ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production
# The mounted file server. Files the app creates there belong to the image's `app` user (UID 1654); the host
# directory must be writable by it (or run the container with the file server owner's UID).
RUN mkdir -p /srv/files && chown "$APP_UID" /srv/files
VOLUME /srv/files
EXPOSE 8080
# The image has no curl or wget: bash's /dev/tcp asks /health/live and checks for a 200 status line. Liveness only:
# it answers without PostgreSQL or Redis, whose state /health/ready reports.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]
USER $APP_UID
ENTRYPOINT ["dotnet", "FileVault.Web.dll"]
