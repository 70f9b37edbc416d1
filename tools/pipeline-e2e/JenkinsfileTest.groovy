// Runs the Jenkinsfile through DeclarativeStub as Jenkins would for main, a feature branch and a pull request,
// and checks what a user relies on. Usage: groovy JenkinsfileTest.groovy REPO_ROOT
// (JENKINSFILE=path tests another file, e.g. a deliberately broken copy).
import groovy.json.JsonSlurper
import java.util.concurrent.ConcurrentHashMap

File root = new File(args ? args[0] : '.').canonicalFile
File jenkinsfile = new File(System.getenv('JENKINSFILE') ?: new File(root, 'Jenkinsfile').path)
def DeclarativeStub = new GroovyClassLoader(getClass().classLoader).parseClass(new File(root, 'tools/pipeline-e2e/DeclarativeStub.groovy'))

int passed = 0, failed = 0
def check = { String behaviour, Closure<List<String>> problems ->
  List<String> found
  try { found = problems() ?: [] } catch (Throwable e) { found = ["the check itself failed: $e".toString()] }
  if (found) {
    failed++
    println "FAIL  $behaviour"
    found.each { println "        - $it" }
  } else {
    passed++
    println "ok    $behaviour"
  }
}

def model = DeclarativeStub.load(jenkinsfile)
// What tools/ci/platform.sh plan writes beside the platform plan: whether applying it changes anything.
def platformPlan = { boolean changes -> ['dist/terraform/platform.tfplan.changes': "$changes\n".toString()] }
def onMain = DeclarativeStub.run(model, [BRANCH_NAME: 'main'], platformPlan(false))
def mainPlatform = DeclarativeStub.run(model, [BRANCH_NAME: 'main'], platformPlan(true))
def feature = DeclarativeStub.run(model, [BRANCH_NAME: 'feature/login'])
def pr = DeclarativeStub.run(model, [BRANCH_NAME: 'PR-42', CHANGE_ID: '42', CHANGE_TARGET: 'main', CHANGE_BRANCH: 'feature/login'])
def mainWithSonar = DeclarativeStub.run(model, [BRANCH_NAME: 'main', SONARQUBE_ENABLED: 'true'], platformPlan(false))
def allBuilds = [main: onMain, 'main with a platform change': mainPlatform, 'feature branch': feature, 'pull request': pr,
                 'main with SonarQube': mainWithSonar]

// What the checks mean by deploy and prod.
def sh = { Map e -> e.kind == 'step' && e.name == 'sh' }
def deploys = { Map e -> sh(e) && e.arg =~ /tools\/ci\/(deploy|push-image|smoke-test|platform|minikube-image)\.sh|terraform\b.*\b(apply|plan)\b|kubectl\s+(apply|delete)|helm\s+(install|upgrade)/ }
def prodStep = { Map e ->
  (deploys(e) && e.arg =~ /\bprod\b/) || (e.kind == 'step' && e.name == 'withCredentials' && e.arg.any { it =~ /prod/ })
}
def prodStage = { Map e -> e.kind in ['stage', 'agent', 'input'] && e.stage =~ /(?i)\bprod\b/ }
def readOnly = { Map e -> !sh(e) || (e.arg =~ /\bplan\b/ && !(e.arg =~ /\bapply\b/)) }
def commands = { List<Map> events -> events.findAll(sh)*.arg }
def firstIndex = { List<Map> events, Closure match -> events.findIndexOf(match) }
def describe = { Map e -> "${e.stage}: ${e.kind == 'step' ? "${e.name} ${e.arg}" : e.kind}".toString() }

check('pipeline: agent none at the top; options timestamps, buildDiscarder, timeout') {
  def names = model.options*.name
  def problems = ['timestamps', 'buildDiscarder', 'timeout'].findAll { !(it in names) }.collect { "options has no $it()".toString() }
  if (model.agent != 'none') problems << "top-level agent is '${model.agent}', expected none".toString()
  problems
}

// disableConcurrentBuilds() would queue the next main build behind one waiting a day for approval, so the
// milestones could never let it supersede the waiting one (README: "How prod is protected").
check('builds run concurrently; every step that changes an environment holds its lock, the approval holds none') {
  def problems = model.options.findAll { it.name == 'disableConcurrentBuilds' }.collect { 'options has disableConcurrentBuilds()' }
  allBuilds.each { build, events ->
    events.findAll { deploys(it) }.each { e ->
      def env = (e.arg =~ /\b(dev|prod)\b/).with { it.find() ? it.group(1) : null }
      if (env && !("shipyard-$env".toString() in e.locks)) problems << "$build: ${describe(e)} runs without lock 'shipyard-$env' (holds ${e.locks})".toString()
    }
    events.findAll { it.kind == 'input' && it.locks }.each { problems << "$build: ${describe(it)} waits for approval holding ${it.locks}".toString() }
  }
  problems
}

check('the stub knows exactly the steps and options of the plugins tools/pipeline-e2e/README.md lists') {
  def readme = new File(root, 'tools/pipeline-e2e/README.md').text
  def plugins = (DeclarativeStub.classLoader.loadClass('Steps').PLUGIN_STEPS.keySet() +
    DeclarativeStub.classLoader.loadClass('OptionsSection').PLUGIN_OPTIONS.keySet())
  def problems = plugins.findAll { !readme.contains("`$it`") }.collect { "plugin $it is not in the README's plugin list".toString() }
  def steps = DeclarativeStub.classLoader.loadClass('Steps')
  def declared = steps.PLUGIN_STEPS.values().flatten() as Set
  if (steps.implemented() != declared) problems << "Steps implements ${steps.implemented() - declared} beyond, lacks ${declared - steps.implemented()}".toString()
  problems
}

check('a misspelled step, or a step of a plugin the README does not list, fails the stub') {
  ['cleanWs()': 'cleanWS()', "echo 'SonarQube analysis skipped": "junit 'SonarQube analysis skipped"].collect { good, bad ->
    def text = jenkinsfile.text
    if (!text.contains(good)) return "the Jenkinsfile has no '$good' to break".toString()
    def broken = File.createTempFile('Jenkinsfile', '.broken')
    broken.deleteOnExit()
    broken.text = text.replace(good, bad)
    try {
      def m = DeclarativeStub.load(broken)
      [[BRANCH_NAME: 'main'], [BRANCH_NAME: 'PR-1', CHANGE_ID: '1']].each { DeclarativeStub.run(m, it) }
      "with '$bad' the stub still ran the pipeline".toString()
    } catch (MissingMethodException e) {
      e.method == bad.replaceAll(/[(\s].*/, '') ? null : "with '$bad' it failed on ${e.method}, not on the bad step".toString()
    }
  }.findAll()
}

check('every step that needs a workspace runs on an agent, in every build') {
  allBuilds.collectMany { build, events ->
    events.findAll { it.kind == 'step' && it.name in ['sh', 'archiveArtifacts', 'stash', 'unstash', 'cleanWs', 'dir', 'junit'] && it.node == null }
      .collect { "$build: ${describe(it)} runs with no agent".toString() }
  }
}

check('every stage that takes an agent cleans its workspace in post') {
  onMain.findAll { it.kind == 'agent' }*.stage.findAll { stage ->
    !onMain.any { it.stage == stage && it.name == 'cleanWs' && it.post }
  }.collect { "stage '$it' has no post { cleanup { cleanWs() } }".toString() }
}

check('pull request: installs, lints and tests, runs policy checks, synthesizes both envs, builds the image') {
  def ran = commands(pr)
  ['npm ci', 'nx run-many -t lint', 'nx run-many -t test --coverage', 'nx run terraform:lint', 'nx run api:hadolint', 'nx run k8s-manifests:helm-lint',
   'nx run k8s-manifests:synth --env=dev', 'nx run k8s-manifests:synth --env=prod', 'tools/ci/build-image.sh'].findAll { want ->
    !ran.any { it.contains(want) }
  }.collect { "no sh step runs '$it'".toString() }
}

// npm test (package.json: tools/test.sh) is what CI and a laptop run; a pull request's build must run the same checks.
// tools/test.sh's commands are its lines that start with `npx nx`, `bash tools/` or the toolchain (which it builds
// in two parts, `ensure.sh early` and `late`; the pull request builds it whole with `npm run toolchain`).
check('pull request: runs every check npm test runs') {
  def scripts = new JsonSlurper().parse(new File(root, 'package.json')).scripts
  if (scripts.test != 'bash tools/test.sh') return ["package.json's test script is '${scripts.test}', not 'bash tools/test.sh'".toString()]
  def ran = commands(pr)
  def runManyTargets = ran.findAll { it =~ /nx run-many -t / }.collectMany { (it =~ /-t ((?:[\w-]+ ?)+)/)[0][1].tokenize() }
  def lines = new File(root, 'tools/test.sh').readLines()*.trim()
  def problems = []
  if (lines.any { it =~ /^(nice -n \d+ )?tools\/toolchain\/ensure\.sh / } &&
      !(scripts.toolchain == 'tools/toolchain/ensure.sh all' && ran.any { it.contains('npm run toolchain') })) {
    problems << 'npm test builds the toolchain, no sh step of the pull request runs npm run toolchain (ensure.sh all)'
  }
  problems + lines.findAll { it =~ /^(npx nx |bash tools\/)/ }.collectMany { line ->
    def part = line.replaceFirst(/^npx /, '')
    def many = part =~ /^nx run-many -t (.+)$/
    if (many) return many[0][1].tokenize().findAll { t -> !(t in runManyTargets) && !ran.any { it.contains(":$t") } }
        .collect { "npm test runs target '$it', no sh step of the pull request does".toString() }
    ran.any { it.contains(part) } ? [] : ["npm test runs '$part', no sh step of the pull request does".toString()]
  }
}

check('pull request: CI only: binds no credential, pushes and deploys nothing, never asks for approval') {
  pr.findAll { (it.kind == 'step' && it.name == 'withCredentials') || deploys(it) || it.kind == 'input' || prodStep(it) || prodStage(it) }
    .collect { describe(it) }
}

check('feature branch: loads the image into minikube, deploys dev from it, then smoke-tests dev; nothing touches ECR') {
  def load = firstIndex(feature) { sh(it) && it.arg.contains('minikube-image.sh') }
  def deploy = firstIndex(feature) { deploys(it) && it.arg =~ /\bdev\b/ && it.arg =~ /apply/ }
  def smoke = firstIndex(feature) { sh(it) && it.arg =~ /smoke-test\.sh\s+dev\b/ }
  def problems = []
  if (load < 0) problems << 'the image is never loaded into minikube (tools/ci/minikube-image.sh)'
  if (deploy < 0) problems << 'dev is never deployed (apply with env dev)'
  else if (!feature[deploy].arg.contains('--image=minikube')) problems << "dev is deployed without --image=minikube: ${feature[deploy].arg}".toString()
  if (smoke < 0) problems << 'dev is never smoke-tested'
  if (!problems && !(load < deploy && deploy < smoke)) problems << 'the order is not load into minikube, deploy dev, smoke test dev'
  // A push would be pointless for dev; an ECR repository in a dev command would mean dev pulls from it.
  feature.findAll { sh(it) && it.arg =~ /push-image\.sh|(?i)ecr/ }.each { problems << "feature branch: ${describe(it)}".toString() }
  problems
}

check('main: pushes the image to ECR after it is built and before prod is planned') {
  def build = firstIndex(onMain) { sh(it) && it.arg.contains('build-image.sh') }
  def push = firstIndex(onMain) { sh(it) && it.arg.contains('push-image.sh') }
  def plan = firstIndex(onMain) { sh(it) && it.arg =~ /deploy\.sh\s+plan\s+prod\b/ }
  if (push < 0) return ['main never pushes the image (tools/ci/push-image.sh)']
  build < push && push < plan ? [] : ['the order is not build image, push image, plan prod']
}

// The kube context, the image and the secrets of prod come from terraform/aws's outputs (tools/ci/deploy.sh
// --platform=aws, tested in scripts-test.sh), never from a kubeconfig someone pasted into Jenkins.
check('main: every prod deploy and smoke test targets the EKS cluster of terraform/aws (--platform=aws), with no kubeconfig credential') {
  [main: onMain, 'main with a platform change': mainPlatform].collectMany { build, events ->
    def problems = events.findAll { sh(it) && it.arg =~ /tools\/ci\/(deploy|smoke-test)\.sh\s+\S+\s+prod\b|tools\/ci\/(deploy|smoke-test)\.sh\s+prod\b/ && !it.arg.contains('--platform=aws') }
      .collect { "$build: ${describe(it)} does not use --platform=aws".toString() }
    problems += events.findAll { it.name == 'withCredentials' && it.arg.any { id -> id =~ /kubeconfig-prod/ } }
      .collect { "$build: ${describe(it)} binds a prod kubeconfig".toString() }
    if (!events.any { sh(it) && it.arg =~ /deploy\.sh\s+apply-plan\s+prod\b.*--platform=aws/ }) problems << "$build: no deploy.sh apply-plan prod --platform=aws".toString()
    problems
  }
}

// platformSteps: the sh steps of tools/ci/platform.sh that change the platform, and its approvals.
def platformApply = { Map e -> sh(e) && e.arg =~ /platform\.sh\s+apply/ }
def platformInput = { Map e -> e.kind == 'input' && e.input.submitter == 'platform-approvers' }

check('main, platform unchanged: the platform is planned read-only; no platform approval, no platform apply') {
  def problems = []
  if (!onMain.any { sh(it) && it.arg =~ /platform\.sh\s+plan\s+prod\b/ }) problems << 'the platform is never planned'
  onMain.findAll { platformApply(it) || platformInput(it) }.each { problems << "with no platform change: ${describe(it)}".toString() }
  problems
}

check('main, platform changed: saved plan, archived; its own approval; then exactly that plan applied; all before the app is planned') {
  def plan = firstIndex(mainPlatform) { sh(it) && it.arg =~ /platform\.sh\s+plan\s+prod\b/ }
  def inputs = mainPlatform.findAll(platformInput)
  def apply = firstIndex(mainPlatform, platformApply)
  def appPlan = firstIndex(mainPlatform) { sh(it) && it.arg =~ /deploy\.sh\s+plan\s+prod\b/ }
  if (plan < 0) return ['the platform is never planned']
  def planFile = (mainPlatform[plan].arg =~ /(\S+\.tfplan)\b/).with { it.find() ? it.group(1) : null }
  if (!planFile) return ["the platform plan is not saved to a .tfplan file: ${mainPlatform[plan].arg}".toString()]
  if (inputs.size() != 1) return ["expected one platform approval (submitter platform-approvers), found ${inputs.size()}".toString()]
  int input = mainPlatform.indexOf(inputs[0])
  def problems = []
  if (!mainPlatform.take(input).any { it.name == 'archiveArtifacts' && it.arg.toString().contains("${planFile}.txt") })
    problems << "the readable plan ${planFile}.txt is not archived before the platform approval".toString()
  if (inputs[0].node != null) problems << "the platform approval holds agent '${inputs[0].node}'".toString()
  if (inputs[0].locks) problems << "the platform approval holds ${inputs[0].locks}".toString()
  if (!inputs[0].options.any { it.name == 'timeout' }) problems << 'the platform approval has no timeout'
  if (apply < 0) problems << 'the approved platform plan is never applied'
  else {
    if (mainPlatform[apply].arg.tokenize().takeRight(3) != ['apply-plan', 'prod', planFile])
      problems << "the platform apply is not of exactly the saved plan $planFile: ${mainPlatform[apply].arg}".toString()
    if (!(plan < input && input < apply)) problems << 'the order is not platform plan, platform approval, platform apply'
    if (appPlan < apply) problems << "the app's prod plan comes before the platform apply".toString()
  }
  problems
}

check('a platform apply never runs without the platform approval before it, in any build') {
  allBuilds.collectMany { build, events ->
    events.findIndexValues(platformApply).findAll { i -> !events.take(i as int).any(platformInput) }
      .collect { "$build: ${describe(events[it as int])} runs with no platform approval before it".toString() }
  }
}

check('feature branch: never runs a prod stage or step, never asks for approval') {
  feature.findAll { prodStep(it) || prodStage(it) || it.kind == 'input' }.collect { describe(it) }
}

check('main: dev is deployed and smoke-tested before anything touches prod') {
  def smokeDev = firstIndex(onMain) { sh(it) && it.arg =~ /smoke-test\.sh\s+dev\b/ }
  def firstProd = firstIndex(onMain) { prodStep(it) }
  if (smokeDev < 0) return ['dev is never smoke-tested on main']
  if (firstProd < 0) return ['onMain never reaches prod']
  smokeDev < firstProd ? [] : ["prod is touched (${describe(onMain[firstProd])}) before dev is smoke-tested".toString()]
}

check('main: the approval comes before any step that changes prod; the prod plan before it is archived for review') {
  def inputs = onMain.findAll { it.kind == 'input' }
  if (inputs.size() != 1) return ["expected one approval input on main, found ${inputs.size()}".toString()]
  int input = onMain.indexOf(inputs[0])
  def problems = onMain.take(input).findAll { prodStep(it) && !readOnly(it) }.collect { "before the approval: ${describe(it)}".toString() }
  def plan = onMain.take(input).find { prodStep(it) && sh(it) && readOnly(it) && it.arg.contains('deploy.sh') }
  def planFile = plan ? (plan.arg =~ /(\S+\.tfplan)\b/).with { it.find() ? it.group(1) : null } : null
  if (!planFile) problems << 'no prod plan (saved to a .tfplan file) before the approval'
  else {
    if (!onMain.take(input).any { it.name == 'archiveArtifacts' && it.arg.toString().contains(planFile) })
      problems << "the plan $planFile is not archived before the approval".toString()
    if (!onMain.drop(input).any { prodStep(it) && !readOnly(it) && it.arg.contains(planFile) })
      problems << "no step after the approval applies the saved plan $planFile".toString()
  }
  problems
}

check('main: the approval holds no executor, is limited to release-approvers, and times out') {
  def input = onMain.find { it.kind == 'input' }
  if (!input) return ['onMain has no approval input']
  def problems = []
  if (input.node != null) problems << "stage '${input.stage}' waits for approval while holding agent '${input.node}'".toString()
  if (input.input.submitter != 'release-approvers') problems << "submitter is '${input.input.submitter}', expected release-approvers".toString()
  if (!input.input.message) problems << 'the input has no message'
  if (!input.options.any { it.name == 'timeout' }) problems << "stage '${input.stage}' has no options { timeout(...) }".toString()
  problems
}

check('main: a milestone before the approval and one after it, so a newer build supersedes an older one') {
  int input = onMain.findIndexOf { it.kind == 'input' }
  def milestones = onMain.findIndexValues { it.name == 'milestone' }
  def problems = []
  if (!milestones.any { it < input }) problems << 'no milestone before the approval'
  if (!milestones.any { it > input }) problems << 'no milestone after the approval'
  problems
}

check('SonarQube: skipped with a message by default; with SONARQUBE_ENABLED=true it analyses (with lcov coverage) and waits for the quality gate') {
  def problems = []
  if (onMain.any { it.name == 'withSonarQubeEnv' }) problems << 'withSonarQubeEnv runs although SONARQUBE_ENABLED is unset'
  if (!onMain.any { it.name == 'echo' && it.arg.toString() =~ /(?i)sonarqube/ }) problems << 'no message says SonarQube was skipped'
  def scan = mainWithSonar.findIndexOf { it.name == 'withSonarQubeEnv' && it.arg[0] == 'sonarqube' }
  def gate = mainWithSonar.findIndexOf { it.name == 'waitForQualityGate' && it.arg[0]?.abortPipeline == true }
  if (scan < 0) problems << "SONARQUBE_ENABLED=true: no withSonarQubeEnv('sonarqube')"
  if (gate < scan || gate < 0) problems << 'SONARQUBE_ENABLED=true: no waitForQualityGate abortPipeline: true after the analysis'
  def coverage = mainWithSonar.findIndexOf { sh(it) && it.arg =~ /nx run-many -t test\b.*--coverage/ }
  if (coverage < 0 || coverage > scan) problems << 'the unit tests do not write coverage (--coverage) before the analysis'
  def scanner = new File(root, 'tools/ci/sonar-scan.sh')
  if (!scanner.text.contains('sonar.javascript.lcov.reportPaths')) problems << 'sonar-scan.sh reports no lcov coverage'
  problems
}

check('the synthesized charts of both environments are archived') {
  onMain.any { it.name == 'archiveArtifacts' && it.arg.toString().contains('dist/k8s-manifests/**') } ? [] :
    ["no archiveArtifacts 'dist/k8s-manifests/**'"]
}

// Everything any build runs, with the scripts it calls.
List<String> allCommands = allBuilds.values().collectMany { commands(it) }.unique()
def scriptPaths = { String command ->
  command.split(/[\s;|&()]+/).findAll { it =~ /^(\.\/)?[\w.-]+(\/[\w.-]+)+$/ && (it =~ /\.(sh|py|mjs|js)$/ || it.startsWith('tools/')) }
    .collect { it.replaceFirst(/^\.\//, '') }
}
Map<String, String> scripts = [:] // path -> the command that calls it
allCommands.each { command -> scriptPaths(command).each { scripts.putIfAbsent(it, command) } }

check('every script a stage calls exists and is executable') {
  scripts.collect { path, command ->
    def file = new File(root, path)
    if (!file.isFile()) return "$path (in: $command) does not exist".toString()
    if (command.trim().split(/\s+/)[0].replaceFirst(/^\.\//, '') == path && !file.canExecute()) return "$path is not executable (chmod +x)".toString()
    null
  }.findAll()
}

// Nx calls, in the commands and in the scripts they run: [project: 'api' or null for run-many, target: 'lint', from: '...'].
def nxCalls = { String text, String from ->
  text.readLines().collectMany { line ->
    def words = line.split(/[\s;|&()"']+/).findAll()
    def calls = []
    words.eachWithIndex { word, i ->
      if (word != 'nx' || i + 1 >= words.size()) return
      if (words[i + 1] == 'run' && i + 2 < words.size() && words[i + 2] =~ /^[\w@\/.-]+:[\w-]+/) {
        def (project, target) = words[i + 2].split(':')
        calls << [project: project, target: target, from: from]
      }
      if (words[i + 1] == 'run-many') {
        int t = words.findIndexOf(i) { it in ['-t', '--target', '--targets'] }
        if (t > 0) words.drop(t + 1).takeWhile { !it.startsWith('-') }.collectMany { it.split(',').toList() }.each {
          calls << [project: null, target: it, from: from]
        }
      }
    }
    calls
  }
}
def calls = allCommands.collectMany { nxCalls(it, "Jenkinsfile: $it") } +
  scripts.keySet().findAll { new File(root, it).isFile() }.collectMany { nxCalls(new File(root, it).text, it) }

def nx = { List<String> nxArgs ->
  def process = new ProcessBuilder(['npx', 'nx'] + nxArgs).directory(root)
  process.environment().putAll([NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0'])
  def out = new StringBuilder(), err = new StringBuilder()
  def p = process.start()
  p.waitForProcessOutput(out, err)
  [status: p.exitValue(), out: out.toString(), err: err.toString()]
}

check('every Nx target a stage or its scripts call exists (npx nx show project <p> --json)') {
  def listed = nx(['show', 'projects', '--json'])
  if (listed.status != 0) return ["npx nx show projects failed: ${listed.err.trim()}".toString()]
  List<String> projects = new JsonSlurper().parseText(listed.out)
  Map<String, Set<String>> targets = new ConcurrentHashMap()
  projects.collect { project ->
    Thread.start {
      def shown = nx(['show', 'project', project, '--json'])
      targets[project] = shown.status == 0 ? (new JsonSlurper().parseText(shown.out).targets ?: [:]).keySet() : [] as Set
    }
  }*.join()
  calls.unique { [it.project, it.target] }.collect { call ->
    if (call.project == null) {
      return targets.values().any { call.target in it } ? null : "no project has target '${call.target}' (run-many, from ${call.from})".toString()
    }
    if (!(call.project in projects)) return "${call.project}:${call.target}: project '${call.project}' does not exist (from ${call.from})".toString()
    call.target in targets[call.project] ? null : "${call.project}:${call.target}: no such target (from ${call.from})".toString()
  }.findAll()
}

println "$passed passed, $failed failed"
System.exit(failed ? 1 : 0)
