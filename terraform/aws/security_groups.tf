resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Public ALB: HTTPS and the HTTP redirect in, the app NodePort out"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-alb"
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  # checkov:skip=CKV_AWS_260: the port 80 listener only answers with a redirect to HTTPS; closing it would break http:// links.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere, redirected to HTTPS by the listener"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_nodes" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to the app NodePort on the nodes"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "tcp"
  from_port                    = local.contract.node_port
  to_port                      = local.contract.node_port
}

resource "aws_security_group" "nodes" {
  name        = "${local.name}-nodes"
  description = "EKS worker nodes: the app NodePort from the ALB only, control plane and node-to-node traffic"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-nodes"
  }
}

# Only the app's own NodePort is opened, not the whole 30000-32767 range: no other Service is exposed.
resource "aws_vpc_security_group_ingress_rule" "nodes_from_alb" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "App NodePort from the ALB (traffic and health checks)"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = local.contract.node_port
  to_port                      = local.contract.node_port
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_nodes" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "Pod-to-pod and node-to-node traffic (CoreDNS, kube-proxy, CNI)"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_ingress_rule" "nodes_from_control_plane" {
  for_each = toset(["443", "10250"])

  security_group_id            = aws_security_group.nodes.id
  description                  = "Control plane to kubelet (10250) and to webhooks (443)"
  referenced_security_group_id = aws_security_group.cluster.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_vpc_security_group_egress_rule" "nodes_to_nodes" {
  security_group_id            = aws_security_group.nodes.id
  description                  = "Pod-to-pod and node-to-node traffic"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "-1"
}

resource "aws_vpc_security_group_egress_rule" "nodes_https_vpc" {
  security_group_id = aws_security_group.nodes.id
  description       = "HTTPS to the Kubernetes API and the interface endpoints inside the VPC"
  cidr_ipv4         = aws_vpc.main.cidr_block
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "nodes_https_s3" {
  security_group_id = aws_security_group.nodes.id
  description       = "HTTPS to S3 through the gateway endpoint (ECR image layers)"
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "nodes_dns" {
  for_each = toset(["tcp", "udp"])

  security_group_id = aws_security_group.nodes.id
  description       = "DNS to the VPC resolver"
  cidr_ipv4         = aws_vpc.main.cidr_block
  ip_protocol       = each.value
  from_port         = 53
  to_port           = 53
}

resource "aws_security_group" "cluster" {
  name        = "${local.name}-cluster"
  description = "EKS control plane ENIs: the Kubernetes API from the nodes, kubelet and webhooks out"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-cluster"
  }
}

resource "aws_vpc_security_group_ingress_rule" "cluster_from_nodes" {
  security_group_id            = aws_security_group.cluster.id
  description                  = "Kubernetes API from the nodes"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_egress_rule" "cluster_to_nodes" {
  for_each = toset(["443", "10250"])

  security_group_id            = aws_security_group.cluster.id
  description                  = "Kubelet (10250) and webhooks (443) on the nodes"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "tcp"
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
}

resource "aws_security_group" "endpoints" {
  name        = "${local.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from the nodes"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-endpoints"
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_nodes" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the nodes"
  referenced_security_group_id = aws_security_group.nodes.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}
