variable "zone_name" {
  description = "Name of the hosted zone that stands in for the real public zone."
  type        = string
}
