FROM debian:12-slim
COPY tool /usr/local/bin/tool
# want-next
RUN chmod u+s /usr/local/bin/tool
# want-next
RUN chown root:root /usr/local/bin/helper \
 && chmod 4755 /usr/local/bin/helper
# want-next
RUN chmod 2755 /usr/local/bin/report
# want-next
COPY --chmod=4755 runner /usr/local/bin/runner
# want-next
RUN install -m 4750 mounter /usr/local/sbin/mounter
