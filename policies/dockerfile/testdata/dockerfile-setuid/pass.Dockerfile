FROM debian:12-slim
COPY --chmod=0755 entrypoint.sh /entrypoint.sh
RUN chmod +x /entrypoint.sh \
 && mkdir -p /srv/shared \
 && chmod 2775 /srv/shared \
 && chmod g+s /srv/shared
RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true
RUN chmod 1777 /scratch-space || true
RUN install -d -m 0750 /var/lib/app
USER 10001
ENTRYPOINT ["/entrypoint.sh"]
