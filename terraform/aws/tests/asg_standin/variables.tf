variable "name" {
  description = "Name of the Auto Scaling group that the EKS node group reports."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the node group."
  type        = list(string)
}
