import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { type AppEnv, environments, configMapDataFor } from '@shipyard/config';
import { monitoringNamespace } from './monitoring';
import { appName, type DeployNames, servicePort } from './names';

export interface ApiNetworkProps {
  readonly env: AppEnv;
  readonly names: DeployNames;
  readonly deployment: kplus.Deployment;
}

/** How traffic reaches the pods: the NodePort Service, and the NetworkPolicy that admits nothing else. */
export class ApiNetwork extends Construct {
  constructor(scope: Construct, id: string, { env, names, deployment }: ApiNetworkProps) {
    super(scope, id);
    const settings = environments[env];
    const runtime = configMapDataFor(env);
    const port = Number(runtime.PORT);
    const managementPort = Number(runtime.MANAGEMENT_PORT);

    deployment.exposeViaService({
      name: names.service,
      serviceType: kplus.ServiceType.NODE_PORT,
      ports: [{ name: 'http', port: servicePort, targetPort: port, nodePort: settings.nodePort }],
    });

    new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: appName },
      selector: deployment,
      ingress: {
        default: kplus.NetworkPolicyTrafficDefault.DENY,
        // NodePort traffic arrives from outside the cluster; whether an ipBlock also matches pod
        // addresses depends on the network plugin, so both. The kubelet's probes come from the
        // node, which a NetworkPolicy always admits; the management port admits Prometheus only.
        rules: [
          {
            peer: kplus.NetworkPolicyIpBlock.anyIpv4(this, 'AnyIpv4'),
            ports: [kplus.NetworkPolicyPort.tcp(port)],
          },
          {
            peer: kplus.Namespaces.all(this, 'AllNamespaces'),
            ports: [kplus.NetworkPolicyPort.tcp(port)],
          },
          ...(settings.monitoring
            ? [
                {
                  peer: kplus.Namespaces.select(this, 'MonitoringNamespace', {
                    names: [monitoringNamespace],
                  }),
                  ports: [kplus.NetworkPolicyPort.tcp(managementPort)],
                },
              ]
            : []),
        ],
      },
    });
  }
}
