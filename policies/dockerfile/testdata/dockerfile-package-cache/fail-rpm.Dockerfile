FROM rockylinux:9 AS rpm
# want-next
RUN dnf install -y git && dnf clean packages

FROM rpm AS tools
# want-next
RUN microdnf install -y jq

FROM tools
# want-next
RUN yum -y install tar
